import { describe, expect, it } from 'vitest';
import {
  countByHealth,
  EMPTY_DEVICE_FILTER,
  enrollCommand,
  isDeviceFiltered,
  readInventory,
  toAssetFilter,
  tokenState,
} from './types';

describe('toAssetFilter', () => {
  it('sends nothing for an empty form', () => {
    expect(toAssetFilter(EMPTY_DEVICE_FILTER, true)).toBeNull();
    expect(isDeviceFiltered(EMPTY_DEVICE_FILTER)).toBe(false);
  });
  it('sends only what is set, trimmed', () => {
    const f = { ...EMPTY_DEVICE_FILTER, health: 'DOWN' as const, kind: 'LAPTOP' as const, search: '  pc-1 ' };
    expect(toAssetFilter(f, false)).toEqual({ health: 'DOWN', kind: 'LAPTOP', search: 'pc-1' });
    expect(isDeviceFiltered(f)).toBe(true);
  });
  it('sends the owner for staff only', () => {
    const f = { ...EMPTY_DEVICE_FILTER, owner: ' john.doe ', status: 'IN_USE' as const };
    expect(toAssetFilter(f, true)).toEqual({ owner: 'john.doe', status: 'IN_USE' });
    expect(toAssetFilter(f, false)).toEqual({ status: 'IN_USE' });
  });
});

describe('tokenState', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const base = { expiresAt: '2026-12-02T12:00:00Z', usedAt: null, revokedAt: null };
  it('is usable before expiry', () => expect(tokenState(base, now)).toBe('usable'));
  it('is expired after expiry', () => expect(tokenState({ ...base, expiresAt: '2026-12-01T11:00:00Z' }, now)).toBe('expired'));
  it('is used once used, even expired', () =>
    expect(tokenState({ ...base, expiresAt: '2026-12-01T11:00:00Z', usedAt: '2026-12-01T10:00:00Z' }, now)).toBe('used'));
  it('is revoked once revoked', () => expect(tokenState({ ...base, revokedAt: '2026-12-01T10:00:00Z' }, now)).toBe('revoked'));
});

describe('readInventory', () => {
  it('reads the agent’s inventory', () => {
    const inv = readInventory({
      hostname: 'pc',
      cpu: { model: 'Xeon', cores: 8 },
      memory_bytes: 1024,
      disks: [{ mount: '/', device: 'sda', filesystem: 'ext4', total_bytes: 2048 }],
      interfaces: [{ name: 'eth0', mac: 'aa:bb', addresses: ['10.0.0.1'] }],
      software: [{ name: 'bash', version: '5' }],
    });
    expect(inv).toEqual({
      cpu: 'Xeon (8 cores)',
      memoryBytes: 1024,
      disks: [{ mount: '/', filesystem: 'ext4', totalBytes: 2048 }],
      interfaces: [{ name: 'eth0', mac: 'aa:bb', addresses: ['10.0.0.1'] }],
      software: [{ name: 'bash', version: '5' }],
    });
  });
  it('survives nonsense', () => {
    expect(readInventory(null)).toBeNull();
    expect(readInventory('x')).toBeNull();
    expect(readInventory({ disks: 'no' })?.disks).toEqual([]);
  });
});

describe('misc', () => {
  it('counts by health', () => {
    expect(countByHealth([{ health: 'UP' }, { health: 'UP' }, { health: 'DOWN' }])).toEqual({
      UP: 2,
      DEGRADED: 0,
      DOWN: 1,
      UNKNOWN: 0,
    });
  });
  it('builds the enrol command', () => {
    expect(enrollCommand('https://it.example', 'tok')).toBe('itosm-agent enroll --server https://it.example --token tok');
  });
});
