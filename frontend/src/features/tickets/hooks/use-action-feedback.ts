import { useCallback, useState } from 'react';
import type { CombinedError } from 'urql';
import { useToast } from '@/components/ui/toast';
import { describeError, hasCode } from '@/lib/errors';
import { CONFLICT_TEXT } from '../types';

export type ActionProblem = { text: string; conflict: boolean };

/**
 * What a ticket action's outcome does to the page: success → a toast and a
 * fresh copy of the ticket; `CONFLICT` (someone changed it meanwhile) → say
 * so and reload it, so the next try carries the new version.
 */
export function useActionFeedback(reload: () => void) {
  const toast = useToast();
  const [problem, setProblem] = useState<ActionProblem | null>(null);

  const done = useCallback(
    (error: CombinedError | undefined, success: string): boolean => {
      if (error) {
        const conflict = hasCode(error, 'CONFLICT');
        setProblem({ text: conflict ? CONFLICT_TEXT : describeError(error), conflict });
        if (conflict) reload();
        return false;
      }
      setProblem(null);
      toast.show(success, 'success');
      reload();
      return true;
    },
    [reload, toast],
  );

  return { problem, done, clear: useCallback(() => setProblem(null), []) };
}
