import type { Role } from '@/gql/graphql';

/** What the browser keeps for the tab's lifetime (sessionStorage). */
export type Session = {
  token: string;
  expiresAt: string;
  user: { id: string; username: string; displayName: string; role: Role };
};

const KEY = 'itosm.session';

function isSession(v: unknown): v is Session {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  const u = s.user as Record<string, unknown> | undefined;
  return (
    typeof s.token === 'string' &&
    typeof s.expiresAt === 'string' &&
    typeof u === 'object' &&
    u !== null &&
    typeof u.username === 'string' &&
    typeof u.role === 'string'
  );
}

export function loadSession(now: Date = new Date()): Session | null {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (!isSession(parsed)) return null;
    const expires = Date.parse(parsed.expiresAt);
    if (Number.isFinite(expires) && expires <= now.getTime()) {
      window.sessionStorage.removeItem(KEY);
      return null;
    }
    return parsed;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  try {
    window.sessionStorage.setItem(KEY, JSON.stringify(session));
  } catch {
    // Storage may be disabled (private mode): the session then lives in memory only.
  }
}

export function clearSession(): void {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // ignore
  }
}

export function isStaff(role: Role | undefined): boolean {
  return role === 'AGENT' || role === 'ADMIN';
}
