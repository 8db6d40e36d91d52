import { MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS } from '@/config/api';
import { charCount } from '@/utils/format';

export type PasswordValues = { current: string; next: string; confirm: string };
export type PasswordErrors = Partial<Record<keyof PasswordValues, string>>;

/** What can be checked before asking the server (which checks it all again). */
export function validatePasswordChange(v: PasswordValues, needsCurrent: boolean): PasswordErrors {
  const errors: PasswordErrors = {};
  if (needsCurrent && !v.current) errors.current = 'Enter your current password.';
  const length = charCount(v.next);
  if (length < MIN_PASSWORD_CHARS) errors.next = `Use at least ${MIN_PASSWORD_CHARS} characters.`;
  else if (length > MAX_PASSWORD_CHARS) errors.next = `Use at most ${MAX_PASSWORD_CHARS} characters.`;
  else if (needsCurrent && v.next === v.current) errors.next = 'Choose a password different from the current one.';
  if (!errors.next && v.confirm !== v.next) errors.confirm = 'The two new passwords differ.';
  return errors;
}
