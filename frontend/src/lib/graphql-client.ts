import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { CSRF_HEADER, GRAPHQL_PATH, graphqlWsUrl } from '@/config/api';
import { createConnectionStatusStore, type ConnectionStatusStore } from './connection-status';
import { hasCode } from './errors';

export type GraphqlClientOptions = {
  /** Whether a user is logged in (his session cookie goes with every request). */
  authenticated: boolean;
  /** Called when the server says the session is no longer good. */
  onUnauthenticated: () => void;
  wsUrl?: string;
};

export type GraphqlClientBundle = {
  client: Client;
  live: ConnectionStatusStore;
  dispose: () => void;
};

/**
 * Close codes after which reconnecting cannot help: bad request, unauthorized
 * (token refused or expired), forbidden, subprotocol not acceptable.
 */
const FATAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4406]);

export function closeCode(event: unknown): number | undefined {
  const code = (event as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Whether the live feed should try again after the socket closed this way. */
export function shouldReconnect(event: unknown): boolean {
  const code = closeCode(event);
  return code === undefined || !FATAL_CLOSE_CODES.has(code);
}

/** 0.5 s, 1 s, 2 s, 4 s, then every 5 s, each with a little jitter. */
export function retryDelay(retries: number): number {
  const base = Math.min(500 * 2 ** retries, 5000);
  return base + Math.floor(Math.random() * 300);
}

/**
 * One urql client per logged-in session: HTTP for queries and mutations,
 * graphql-transport-ws for subscriptions. Both carry the session cookie the
 * browser holds (same origin); the HTTP requests add the CSRF header the
 * daemon asks of cookie-authenticated requests. Recreated on login/logout so
 * no cached answer leaks from one session into the next.
 */
export function createGraphqlClient(opts: GraphqlClientOptions): GraphqlClientBundle {
  const { authenticated, onUnauthenticated } = opts;
  const live = createConnectionStatusStore();
  let ws: WsClient | null = null;

  const getWs = (): WsClient => {
    if (ws) return ws;
    ws = createWsClient({
      url: opts.wsUrl ?? graphqlWsUrl(),
      lazy: true,
      // No token here: the upgrade request carries the session cookie.
      connectionParams: {},
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: shouldReconnect,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, retryDelay(retries))),
      keepAlive: 15_000,
      on: {
        connecting: (isRetry) => live.set(isRetry ? 'reconnecting' : 'connecting'),
        connected: () => live.set('connected'),
        closed: (event) => {
          // 1000: graphql-ws closing on purpose (last subscription gone);
          // a fatal code: the server refused us, so no reconnection follows.
          const code = closeCode(event);
          live.set(code === 1000 || !shouldReconnect(event) ? 'idle' : 'reconnecting');
        },
      },
    });
    return ws;
  };

  const client = new Client({
    url: GRAPHQL_PATH,
    requestPolicy: 'cache-and-network',
    // The contract is `POST /graphql` (`GET /graphql` is GraphiQL).
    preferGetMethod: false,
    fetchOptions: (): RequestInit => ({ credentials: 'same-origin', headers: { [CSRF_HEADER]: '1' } }),
    exchanges: [
      mapExchange({
        onError(error) {
          // Only a logged-in client can lose its session (logged out in
          // another tab, everywhere, deactivated, expired); the login
          // form's own errors are shown by the form.
          if (authenticated && hasCode(error, 'UNAUTHENTICATED')) onUnauthenticated();
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = getWs().subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    live,
    dispose: () => {
      // A connection still being refused (a dead token) rejects dispose();
      // there is nothing left to clean up then, so the rejection is dropped
      // rather than surfacing as an uncaught error.
      if (ws) Promise.resolve(ws.dispose()).catch(() => undefined);
      ws = null;
    },
  };
}
