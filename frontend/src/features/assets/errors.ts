import type { CombinedError } from 'urql';
import { describeError, errorCodes } from '@/lib/errors';

/** The plain sentence, followed by the daemon's code (e.g. `(CONFLICT)`) when there is one. */
export function describeWithCode(error: CombinedError | undefined | null): string {
  const text = describeError(error);
  const code = errorCodes(error)[0];
  return code ? `${text} (${code})` : text;
}
