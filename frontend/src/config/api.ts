// The API is always relative to where the portal is served from: the daemon
// serves both (and nginx proxies both in compose). Never put a host here.
export const GRAPHQL_PATH = '/graphql';
export const GRAPHQL_WS_PATH = '/graphql/ws';

/** ws(s)://<current host>/graphql/ws, derived at run time from the page's own URL. */
export function graphqlWsUrl(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${GRAPHQL_WS_PATH}`;
}

/** Page size for ticket lists (the server caps it at `limits.maxPageSize`). */
export const PAGE_SIZE = 20;
