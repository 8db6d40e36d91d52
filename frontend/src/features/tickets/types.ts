import type { TicketDetailsQuery, TicketStatus } from '@/gql/graphql';

export type TicketDetail = NonNullable<TicketDetailsQuery['ticket']>;
export type HistoryEntry = TicketDetail['history'][number];
export type TicketComment = TicketDetail['comments'][number];
export type TicketAttachment = TicketDetail['attachments'][number];

/** What a button moving the ticket to each status says. */
export const STATUS_ACTION_LABELS: Record<TicketStatus, string> = {
  START: 'Back to Start',
  IN_PROGRESS: 'Mark in progress',
  ON_HOLD: 'Put on hold',
  RESOLVED: 'Resolve',
  CLOSED: 'Close',
  CANCELLED: 'Cancel request',
};

const ENDED: ReadonlySet<TicketStatus> = new Set(['RESOLVED', 'CLOSED', 'CANCELLED']);

export function statusActionLabel(target: TicketStatus, current: TicketStatus): string {
  if (target === 'IN_PROGRESS' && ENDED.has(current)) return 'Reopen';
  if (target === 'IN_PROGRESS' && current === 'ON_HOLD') return 'Resume';
  return STATUS_ACTION_LABELS[target];
}

export const CONFLICT_TEXT = 'This ticket changed since you loaded it — reloaded, try again.';
