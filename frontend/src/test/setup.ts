import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * The daemon's session endpoints as the portal sees them: opening and
 * closing the cookie succeed. Tests of the GraphQL client stub `fetch`
 * themselves; the components under test use a mock urql client.
 */
async function daemon(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.endsWith('/api/session')) {
    return new Response(init?.method === 'DELETE' ? null : '{}', { status: init?.method === 'DELETE' ? 204 : 200 });
  }
  return new Response(JSON.stringify({ data: null, errors: [{ message: 'log in first', extensions: { code: 'UNAUTHENTICATED' } }] }), {
    headers: { 'content-type': 'application/json' },
  });
}

export const sessionFetch = vi.fn(daemon);

beforeEach(() => {
  sessionFetch.mockReset();
  sessionFetch.mockImplementation(daemon);
  vi.stubGlobal('fetch', sessionFetch);
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.sessionStorage.clear();
});
