import type { CombinedError } from 'urql';

/** The codes the daemon puts in `extensions.code`. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAVAILABLE'
  | 'INTERNAL'
  | 'RATE_LIMITED';

export function errorCodes(error: CombinedError | undefined | null): string[] {
  if (!error) return [];
  return error.graphQLErrors
    .map((e) => e.extensions?.code)
    .filter((c): c is string => typeof c === 'string');
}

export function hasCode(error: CombinedError | undefined | null, code: ErrorCode): boolean {
  return errorCodes(error).includes(code);
}

/** A sentence a person can act on; never a stack trace. */
export function describeError(error: CombinedError | undefined | null): string {
  if (!error) return '';
  if (error.networkError && error.graphQLErrors.length === 0) {
    return 'Cannot reach the itosm server. Check your connection and try again.';
  }
  const first = error.graphQLErrors[0];
  const code = first?.extensions?.code;
  switch (code) {
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Please log in again.';
    case 'FORBIDDEN':
      return 'You are not allowed to do that.';
    case 'NOT_FOUND':
      return 'Not found.';
    case 'CONFLICT':
      return 'Someone else changed this meanwhile. Reload and try again.';
    case 'UNAVAILABLE':
      return 'The service is temporarily unavailable. Please try again in a moment.';
    case 'INTERNAL':
      return 'Something went wrong on the server. Please try again.';
    case 'RATE_LIMITED': {
      const wait = first?.extensions?.retryAfterSeconds;
      return typeof wait === 'number' && wait > 0
        ? `Too many attempts. Try again in ${wait} second${wait === 1 ? '' : 's'}.`
        : 'Too many attempts. Please wait a moment and try again.';
    }
    case 'BAD_USER_INPUT':
      return first?.message || 'Some of the input was not accepted.';
    default:
      return first?.message || 'Something went wrong. Please try again.';
  }
}

/**
 * The input field a `BAD_USER_INPUT` error is about (`extensions.field`), as a
 * camelCase name: `input.employee_id` and `employeeId` both give `employeeId`.
 */
export function errorField(error: CombinedError | undefined | null): string | undefined {
  const field = error?.graphQLErrors.find((e) => e.extensions?.code === 'BAD_USER_INPUT')?.extensions?.field;
  if (typeof field !== 'string' || !field) return undefined;
  const last = field.split('.').pop() ?? field;
  return last.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}
