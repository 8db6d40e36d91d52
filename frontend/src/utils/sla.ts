import type { TicketStatus } from '@/gql/graphql';
import { formatDuration } from './format';

/** The SLA fields of a ticket, as the server sends them. */
export type SlaFields = {
  status: TicketStatus;
  breached: boolean;
  firstResponseBreached: boolean;
  resolutionBreached: boolean;
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  firstRespondedAt: string | null;
  resolvedAt: string | null;
};

export type SlaState =
  | { kind: 'breached'; text: string; detail: string }
  | { kind: 'overdue' | 'due'; text: string; detail: string; dueAt: string }
  | { kind: 'met'; text: string; detail: string };

const ENDED: ReadonlySet<TicketStatus> = new Set(['RESOLVED', 'CLOSED', 'CANCELLED']);

/**
 * What the SLA badge says at `now`: breached (the server's word), else the
 * next target still open (first response, then resolution) as "due in …" or
 * "overdue", else met. `null` when the ticket has no SLA due times at all.
 */
export function slaState(t: SlaFields, now: number): SlaState | null {
  if (!t.firstResponseDueAt && !t.resolutionDueAt) return null;
  if (t.breached || t.firstResponseBreached || t.resolutionBreached) {
    const which = [t.firstResponseBreached && 'first response', t.resolutionBreached && 'resolution'].filter(Boolean);
    return {
      kind: 'breached',
      text: 'SLA breached',
      detail: which.length ? `The ${which.join(' and ')} target was missed.` : 'An SLA target was missed.',
    };
  }
  const ended = ENDED.has(t.status) || Boolean(t.resolvedAt);
  const pending: Array<[string, string | null]> = ended
    ? []
    : [
        ['Response', t.firstRespondedAt ? null : t.firstResponseDueAt],
        ['Resolution', t.resolutionDueAt],
      ];
  for (const [what, due] of pending) {
    if (!due) continue;
    const left = Date.parse(due) - now;
    if (!Number.isFinite(left)) continue;
    return left < 0
      ? { kind: 'overdue', text: `${what} overdue`, detail: `${what} was due ${formatDuration(left)} ago.`, dueAt: due }
      : { kind: 'due', text: `${what} due in ${formatDuration(left)}`, detail: `${what} due in ${formatDuration(left)}.`, dueAt: due };
  }
  if (t.status === 'CANCELLED' && !t.resolvedAt) return null;
  return { kind: 'met', text: 'SLA met', detail: 'Every SLA target was met.' };
}
