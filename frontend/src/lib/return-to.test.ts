import { describe, expect, it } from 'vitest';
import { changePasswordPath, loginPath, returnToOf, safeReturnTo } from './return-to';

describe('returnTo', () => {
  it('keeps a path of this portal, with its query', () => {
    expect(safeReturnTo('/tickets/INC-2026-0001')).toBe('/tickets/INC-2026-0001');
    expect(safeReturnTo('/admin?status=START')).toBe('/admin?status=START');
  });

  it('refuses other hosts, tricks and loops', () => {
    for (const bad of [
      null,
      undefined,
      '',
      'tickets/INC-1',
      '//evil.example/x',
      'https://evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      '/login',
      '/login?returnTo=/x',
      '/account/password',
      '/',
      '/x\n',
    ]) {
      expect(safeReturnTo(bad), String(bad)).toBeNull();
    }
  });

  it('goes into and comes out of /login?returnTo=', () => {
    const path = loginPath('/tickets/INC-2026-0001');
    expect(path).toBe('/login?returnTo=%2Ftickets%2FINC-2026-0001');
    expect(returnToOf(path.slice(path.indexOf('?')))).toBe('/tickets/INC-2026-0001');
    expect(loginPath('/')).toBe('/login');
    expect(loginPath('//evil.example')).toBe('/login');
    expect(returnToOf('?returnTo=%2F%2Fevil.example')).toBeNull();
    expect(changePasswordPath('/admin')).toBe('/account/password?returnTo=%2Fadmin');
  });
});
