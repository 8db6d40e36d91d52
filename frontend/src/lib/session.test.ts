import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeSession, fetchMe, openSession } from './session';

afterEach(() => vi.unstubAllGlobals());

function stubFetch(status: number, body: unknown = {}) {
  const fetch = vi.fn(
    async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
  );
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

const call = (fetch: ReturnType<typeof stubFetch>, i = 0) => fetch.mock.calls[i] as unknown as [string, RequestInit];

describe('the session cookie', () => {
  it('is opened by handing the login token to POST /api/session, and kept nowhere else', async () => {
    const fetch = stubFetch(200, { user: { username: 'john.doe' } });
    await openSession('tok-1');
    const [url, init] = call(fetch);
    expect(url).toBe('/api/session');
    expect(init.method).toBe('POST');
    expect(new Headers(init.headers).get('authorization')).toBe('Bearer tok-1');
    expect(window.sessionStorage.length).toBe(0);
    expect(window.localStorage.length).toBe(0);
    expect(document.cookie).not.toContain('tok-1');
  });

  it('refuses to go on when the daemon refused the token', async () => {
    stubFetch(401, { error: { code: 'UNAUTHENTICATED' } });
    await expect(openSession('bad')).rejects.toThrow(/401/);
  });

  it('is closed with DELETE /api/session, even offline without throwing', async () => {
    const fetch = stubFetch(204);
    await closeSession();
    expect(call(fetch)[0]).toBe('/api/session');
    expect(call(fetch)[1].method).toBe('DELETE');
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))));
    await expect(closeSession()).resolves.toBeUndefined();
  });
});

describe('who am I', () => {
  it('asks `me` with the CSRF header and the cookie', async () => {
    const user = { id: '1', username: 'john.doe', displayName: 'John Doe', role: 'REQUESTER', mustChangePassword: false };
    const fetch = stubFetch(200, { data: { me: user } });
    expect(await fetchMe()).toEqual({ kind: 'in', user });
    const [url, init] = call(fetch);
    expect(url).toBe('/graphql');
    expect(new Headers(init.headers).get('x-itosm-csrf')).toBe('1');
    expect(init.credentials).toBe('same-origin');
  });

  it('is nobody when the daemon answers UNAUTHENTICATED, and unreachable offline', async () => {
    stubFetch(200, { data: null, errors: [{ message: 'log in first: a valid token is required', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(await fetchMe()).toEqual({ kind: 'out', ended: false });
    stubFetch(200, { data: null, errors: [{ message: 'this account no longer exists or is deactivated', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(await fetchMe()).toEqual({ kind: 'out', ended: true });
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('offline'))));
    expect(await fetchMe()).toEqual({ kind: 'unreachable' });
  });
});
