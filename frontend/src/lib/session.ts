import type { Role } from '@/gql/graphql';
import { GRAPHQL_PATH, SESSION_PATH, CSRF_HEADER } from '@/config/api';

/**
 * Who is logged in. The token itself is never here: the daemon keeps it in
 * an HttpOnly cookie (`POST /api/session`) that no script can read, so a new
 * tab or an emailed link is logged in too and an injected script cannot
 * carry the session away. The portal learns who it is by asking `me`.
 */
export type SessionUser = {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** An admin reset the password: choose a new one before anything else. */
  mustChangePassword?: boolean | null;
  hasPassword?: boolean | null;
};

export type Session = { user: SessionUser };

/** Turns a login's token into the session cookie; throws when refused. */
export async function openSession(token: string): Promise<void> {
  const response = await fetch(SESSION_PATH, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!response.ok) throw new Error(`the session could not be opened (HTTP ${response.status})`);
}

/** Forgets the session cookie of this browser (every tab). */
export async function closeSession(): Promise<void> {
  try {
    await fetch(SESSION_PATH, { method: 'DELETE', credentials: 'same-origin', headers: { [CSRF_HEADER]: '1' } });
  } catch {
    // Offline: the cookie stays until it expires, and the next answer
    // from the server ends this tab's session anyway.
  }
}

const ME_QUERY = 'query SessionMe { me { id username displayName role mustChangePassword hasPassword } }';

/**
 * `out` with `ended`: the browser sent a session the daemon refused (expired,
 * logged out everywhere, deactivated); without `ended`, it sent none.
 */
export type MeAnswer = { kind: 'in'; user: SessionUser } | { kind: 'out'; ended: boolean } | { kind: 'unreachable' };

type GraphqlErrorBody = { message?: unknown; extensions?: { code?: unknown } };

/** Asks the daemon who the session cookie (if any) belongs to. */
export async function fetchMe(): Promise<MeAnswer> {
  try {
    const response = await fetch(GRAPHQL_PATH, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1' },
      body: JSON.stringify({ query: ME_QUERY }),
    });
    const body = (await response.json()) as { data?: { me?: SessionUser } | null; errors?: GraphqlErrorBody[] };
    const user = body.data?.me;
    if (user && typeof user.username === 'string') return { kind: 'in', user };
    // The daemon says "log in first" to a request without credentials; any
    // other refusal means the cookie held a session that is over.
    const first = body.errors?.[0];
    const message = typeof first?.message === 'string' ? first.message : '';
    const ended = first?.extensions?.code === 'UNAUTHENTICATED' && !message.startsWith('log in first');
    return { kind: 'out', ended };
  } catch {
    return { kind: 'unreachable' };
  }
}

export function isStaff(role: Role | undefined): boolean {
  return role === 'AGENT' || role === 'ADMIN';
}
