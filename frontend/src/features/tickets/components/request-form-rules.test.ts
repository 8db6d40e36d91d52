import { describe, expect, it } from 'vitest';
import { needsSoftware, validateRequest } from './request-form-rules';

describe('request form rules', () => {
  it('requires software only for SOFTWARE_INSTALL', () => {
    expect(needsSoftware('SOFTWARE_INSTALL')).toBe(true);
    for (const t of ['ACCESS_REQUEST', 'HARDWARE', 'INCIDENT', 'OTHER', ''] as const) {
      expect(needsSoftware(t)).toBe(false);
    }
    expect(validateRequest({ requestType: 'SOFTWARE_INSTALL', softwareId: '', subject: 's', description: 'x' }, 10).softwareId).toBeTruthy();
    expect(validateRequest({ requestType: 'HARDWARE', softwareId: '', subject: 's', description: 'x' }, 10)).toEqual({});
  });

  it('rejects an empty or blank description', () => {
    expect(validateRequest({ requestType: 'OTHER', softwareId: '', subject: 's', description: '' }, 10).description).toMatch(/describe/i);
    expect(validateRequest({ requestType: 'OTHER', softwareId: '', subject: 's', description: '  \n ' }, 10).description).toMatch(/describe/i);
  });

  it('enforces the description limit in characters, not UTF-16 units', () => {
    expect(validateRequest({ requestType: 'OTHER', softwareId: '', subject: 's', description: 'a'.repeat(10) }, 10)).toEqual({});
    expect(validateRequest({ requestType: 'OTHER', softwareId: '', subject: 's', description: 'a'.repeat(11) }, 10).description).toMatch(/at most 10/);
    // 10 emoji are 20 UTF-16 units but 10 characters, as the server counts.
    expect(validateRequest({ requestType: 'OTHER', softwareId: '', subject: 's', description: '😀'.repeat(10) }, 10)).toEqual({});
  });

  it('requires a request type', () => {
    expect(validateRequest({ requestType: '', softwareId: '', subject: 's', description: 'x' }, 10).requestType).toBeTruthy();
  });

  it('requires a one-line subject of at most 120 characters', () => {
    const base = { requestType: 'OTHER' as const, softwareId: '', description: 'x' };
    expect(validateRequest({ ...base, subject: '' }, 10).subject).toMatch(/subject/i);
    expect(validateRequest({ ...base, subject: '   ' }, 10).subject).toMatch(/subject/i);
    expect(validateRequest({ ...base, subject: 'a'.repeat(120) }, 10)).toEqual({});
    expect(validateRequest({ ...base, subject: 'a'.repeat(121) }, 10).subject).toMatch(/at most 120/);
    expect(validateRequest({ ...base, subject: 'one\ntwo' }, 10).subject).toMatch(/one line/);
  });
});
