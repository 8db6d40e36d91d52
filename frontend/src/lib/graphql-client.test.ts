import { afterEach, describe, expect, it, vi } from 'vitest';
import { graphqlWsUrl } from '@/config/api';
import { MyTicketsQuery } from '@/features/tickets/api/my-tickets';
import { ChangeStatusMutation } from '@/features/tickets/api/ticket';
import { createConnectionStatusStore } from './connection-status';
import { createGraphqlClient, retryDelay, shouldReconnect } from './graphql-client';

afterEach(() => vi.unstubAllGlobals());

function stubFetch(body: unknown) {
  const fetch = vi.fn(async () => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } }));
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

describe('GraphQL client', () => {
  it('posts to the relative /graphql with the CSRF header, the cookie and no token', async () => {
    const fetch = stubFetch({ data: { tickets: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } });
    const { client, dispose } = createGraphqlClient({ authenticated: true, onUnauthenticated: vi.fn() });
    const r = await client.query(MyTicketsQuery, { first: 5 }).toPromise();
    expect(r.error).toBeUndefined();
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/graphql');
    expect(init.method).toBe('POST');
    expect(new Headers(init.headers).get('x-itosm-csrf')).toBe('1');
    expect(new Headers(init.headers).get('authorization')).toBeNull();
    expect(init.credentials).toBe('same-origin');
    dispose();
  });

  it('ends the session when the server says UNAUTHENTICATED', async () => {
    stubFetch({ data: null, errors: [{ message: 'expired', extensions: { code: 'UNAUTHENTICATED' } }] });
    const onUnauthenticated = vi.fn();
    const { client } = createGraphqlClient({ authenticated: true, onUnauthenticated });
    await client.query(MyTicketsQuery, { first: 5 }).toPromise();
    expect(onUnauthenticated).toHaveBeenCalled();
  });

  it('ends the session when a mutation answers UNAUTHENTICATED too', async () => {
    stubFetch({ data: null, errors: [{ message: 'deactivated', extensions: { code: 'UNAUTHENTICATED' } }] });
    const onUnauthenticated = vi.fn();
    const { client } = createGraphqlClient({ authenticated: true, onUnauthenticated });
    await client
      .mutation(ChangeStatusMutation, { number: 'INC-2026-0001', status: 'CANCELLED', note: null, version: 1 })
      .toPromise();
    expect(onUnauthenticated).toHaveBeenCalledTimes(1);
  });

  it('derives the WebSocket URL from the page, never a fixed host', () => {
    expect(graphqlWsUrl({ protocol: 'http:', host: '127.0.0.1:18080' })).toBe('ws://127.0.0.1:18080/graphql/ws');
    expect(graphqlWsUrl({ protocol: 'https:', host: 'help.example.org' })).toBe('wss://help.example.org/graphql/ws');
  });

  it('backs off to at most about 5 s between reconnection attempts', () => {
    expect(retryDelay(0)).toBeLessThan(900);
    expect(retryDelay(20)).toBeLessThanOrEqual(5300);
  });

  it('reconnects after a drop, but not after the server refused the token', () => {
    expect(shouldReconnect({ code: 1006 })).toBe(true);
    expect(shouldReconnect({ code: 1001 })).toBe(true);
    expect(shouldReconnect(new Error('socket error'))).toBe(true);
    expect(shouldReconnect({ code: 4401 })).toBe(false);
    expect(shouldReconnect({ code: 4403 })).toBe(false);
  });

  it('counts reconnections, not the first connection', () => {
    const s = createConnectionStatusStore();
    s.set('connecting');
    s.set('connected');
    expect(s.get()).toEqual({ state: 'connected', connects: 1, reconnects: 0 });
    s.set('reconnecting');
    s.set('connected');
    expect(s.get()).toEqual({ state: 'connected', connects: 2, reconnects: 1 });
  });
});
