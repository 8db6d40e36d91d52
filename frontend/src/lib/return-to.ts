import { paths } from '@/config/paths';

/**
 * A path of this portal to come back to after logging in, or `null` for
 * anything else: another host (`//evil.example`, `https://…`), a backslash
 * trick browsers read as a host, or the login pages themselves (a loop).
 */
export function safeReturnTo(value: string | null | undefined): string | null {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  if (/[\u0000-\u001f]/.test(value)) return null;
  const path = value.split(/[?#]/)[0];
  if (path === paths.login || path === paths.changePassword || path === paths.root) return null;
  return value;
}

/** `/login`, remembering `from` (a path with its query) to return to. */
export function loginPath(from: string | null | undefined): string {
  const target = safeReturnTo(from);
  return target ? `${paths.login}?returnTo=${encodeURIComponent(target)}` : paths.login;
}

/** The forced password change page, remembering where to go next. */
export function changePasswordPath(from: string | null | undefined): string {
  const target = safeReturnTo(from);
  return target ? `${paths.changePassword}?returnTo=${encodeURIComponent(target)}` : paths.changePassword;
}

/** The `returnTo` of a location's query string, if it is safe. */
export function returnToOf(search: string): string | null {
  return safeReturnTo(new URLSearchParams(search).get('returnTo'));
}
