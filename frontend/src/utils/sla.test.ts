import { describe, expect, it } from 'vitest';
import { formatDuration } from './format';
import { slaState, type SlaFields } from './sla';
import { newerOf } from './versions';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const base: SlaFields = {
  status: 'START',
  breached: false,
  firstResponseBreached: false,
  resolutionBreached: false,
  firstResponseDueAt: '2026-11-20T14:30:00Z',
  resolutionDueAt: '2026-11-22T12:00:00Z',
  firstRespondedAt: null,
  resolvedAt: null,
};

describe('slaState', () => {
  it('is nothing without due times', () => {
    expect(slaState({ ...base, firstResponseDueAt: null, resolutionDueAt: null }, NOW)).toBeNull();
  });

  it('says breached when the server says so, naming the target', () => {
    const s = slaState({ ...base, breached: true, resolutionBreached: true }, NOW);
    expect(s).toMatchObject({ kind: 'breached', text: 'SLA breached' });
    expect(s?.detail).toMatch(/resolution/);
  });

  it('counts down to the first response, then to the resolution', () => {
    expect(slaState(base, NOW)?.text).toBe('Response due in 2h 30m');
    expect(slaState({ ...base, firstRespondedAt: '2026-11-20T11:00:00Z' }, NOW)?.text).toBe('Resolution due in 2d');
  });

  it('says overdue when past due before the server flags it', () => {
    expect(slaState({ ...base, firstResponseDueAt: '2026-11-20T11:00:00Z' }, NOW)).toMatchObject({
      kind: 'overdue',
      text: 'Response overdue',
    });
  });

  it('says met once resolved in time, and nothing for a cancelled ticket', () => {
    expect(slaState({ ...base, status: 'RESOLVED', resolvedAt: '2026-11-20T11:00:00Z' }, NOW)?.kind).toBe('met');
    expect(slaState({ ...base, status: 'CANCELLED' }, NOW)).toBeNull();
  });
});

describe('formatDuration', () => {
  it('rounds to what a person needs', () => {
    expect(formatDuration(30_000)).toBe('less than a minute');
    expect(formatDuration(15 * 60_000)).toBe('15m');
    expect(formatDuration(-(3 * 3600_000 + 20 * 60_000))).toBe('3h 20m');
    expect(formatDuration(2 * 86400_000 + 3 * 3600_000)).toBe('2d 3h');
  });
});

describe('newerOf', () => {
  const t = (version: number, updatedAt: string) => ({ version, updatedAt });
  it('prefers the higher version, then the later update', () => {
    const a = t(2, '2026-11-20T10:00:00Z');
    expect(newerOf(a, undefined)).toBe(a);
    expect(newerOf(a, t(3, '2026-11-20T09:00:00Z')).version).toBe(3);
    expect(newerOf(a, t(1, '2026-11-20T11:00:00Z'))).toBe(a);
    const later = t(2, '2026-11-20T11:00:00Z');
    expect(newerOf(a, later)).toBe(later);
    expect(newerOf(later, a)).toBe(later);
  });
});
