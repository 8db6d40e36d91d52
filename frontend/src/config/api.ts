// The API is always relative to where the portal is served from: the daemon
// serves both (and nginx proxies both in compose). Never put a host here.
export const GRAPHQL_PATH = '/graphql';
export const GRAPHQL_WS_PATH = '/graphql/ws';
/** Opens (POST, with the login's token) and closes (DELETE) the session cookie. */
export const SESSION_PATH = '/api/session';
/**
 * Uploads: `POST` with the file as the body (`?filename=`), `DELETE /{id}`
 * to discard one not yet sent with a ticket or comment.
 */
export const ATTACHMENTS_PATH = '/api/attachments';
/**
 * Sent on every GraphQL request and upload: the daemon takes the session cookie only
 * from requests carrying it, which a cross-site form cannot.
 */
export const CSRF_HEADER = 'X-Itosm-Csrf';

/** ws(s)://<current host>/graphql/ws, derived at run time from the page's own URL. */
export function graphqlWsUrl(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}${GRAPHQL_WS_PATH}`;
}

/** Page size for ticket lists (the server caps it at `limits.maxPageSize`). */
export const PAGE_SIZE = 20;
/** The server's bound on a ticket's subject. */
export const MAX_SUBJECT_CHARS = 120;
/** The server's bounds on a password. */
export const MIN_PASSWORD_CHARS = 12;
export const MAX_PASSWORD_CHARS = 256;
