import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from 'urql';
import { GRAPHQL_PATH, graphqlWsUrl } from '@/config/api';
import { createConnectionStatusStore, type ConnectionStatusStore } from './connection-status';
import { hasCode } from './errors';

export type GraphqlClientOptions = {
  token: string | null;
  /** Called when the server says the token is no longer good. */
  onUnauthenticated: () => void;
  wsUrl?: string;
};

export type GraphqlClientBundle = {
  client: Client;
  live: ConnectionStatusStore;
  dispose: () => void;
};

/** 0.5 s, 1 s, 2 s, 4 s, then every 5 s, each with a little jitter. */
export function retryDelay(retries: number): number {
  const base = Math.min(500 * 2 ** retries, 5000);
  return base + Math.floor(Math.random() * 300);
}

/**
 * One urql client per logged-in session: HTTP for queries and mutations
 * (`Authorization: Bearer`), graphql-transport-ws for subscriptions with the
 * token in `connection_init`. Recreated on login/logout so no token leaks
 * from one session into the next.
 */
export function createGraphqlClient(opts: GraphqlClientOptions): GraphqlClientBundle {
  const { token, onUnauthenticated } = opts;
  const live = createConnectionStatusStore();
  let ws: WsClient | null = null;

  const getWs = (): WsClient => {
    if (ws) return ws;
    ws = createWsClient({
      url: opts.wsUrl ?? graphqlWsUrl(),
      lazy: true,
      connectionParams: token ? { token, Authorization: `Bearer ${token}` } : {},
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, retryDelay(retries))),
      keepAlive: 15_000,
      on: {
        connecting: (isRetry) => live.set(isRetry ? 'reconnecting' : 'connecting'),
        connected: () => live.set('connected'),
        closed: (event) => {
          const code = (event as { code?: number } | undefined)?.code;
          // 1000 is graphql-ws closing on purpose (last subscription gone).
          live.set(code === 1000 ? 'idle' : 'reconnecting');
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
    fetchOptions: (): RequestInit => {
      const headers: Record<string, string> = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      return { headers };
    },
    exchanges: [
      mapExchange({
        onError(error) {
          // Only a logged-in client can lose its session; the login form's
          // own errors (no token yet) are shown by the form.
          if (token && hasCode(error, 'UNAUTHENTICATED')) onUnauthenticated();
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
      void ws?.dispose();
      ws = null;
    },
  };
}
