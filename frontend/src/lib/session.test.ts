import { describe, expect, it } from 'vitest';
import { clearSession, loadSession, saveSession } from './session';

const session = {
  token: 'abc',
  expiresAt: '2030-01-01T00:00:00Z',
  user: { id: '1', username: 'john.doe', displayName: 'John Doe', role: 'REQUESTER' as const },
};

describe('session storage', () => {
  it('round-trips through sessionStorage only', () => {
    saveSession(session);
    expect(loadSession(new Date('2029-01-01T00:00:00Z'))).toEqual(session);
    expect(window.localStorage.length).toBe(0);
    clearSession();
    expect(loadSession()).toBeNull();
  });

  it('drops an expired or malformed session', () => {
    saveSession(session);
    expect(loadSession(new Date('2031-01-01T00:00:00Z'))).toBeNull();
    window.sessionStorage.setItem('itosm.session', '{"token": 1}');
    expect(loadSession()).toBeNull();
    window.sessionStorage.setItem('itosm.session', 'not json');
    expect(loadSession()).toBeNull();
  });
});
