import type { HistoryEntry, TicketAttachment, TicketComment } from '../types';

export type TimelineItem =
  | { kind: 'status'; key: string; at: string; entry: HistoryEntry }
  | { kind: 'comment'; key: string; at: string; comment: TicketComment };

/**
 * History entries and comments as one list, oldest first. On the same
 * instant a status change comes before a comment, each in its own order.
 */
export function mergeTimeline(
  history: ReadonlyArray<HistoryEntry>,
  comments: ReadonlyArray<TicketComment>,
): TimelineItem[] {
  const items: TimelineItem[] = [
    ...history.map((entry) => ({ kind: 'status' as const, key: `h-${entry.id}`, at: entry.at, entry })),
    ...comments.map((comment) => ({ kind: 'comment' as const, key: `c-${comment.id}`, at: comment.createdAt, comment })),
  ];
  const time = (iso: string) => {
    const t = Date.parse(iso);
    return Number.isFinite(t) ? t : 0;
  };
  // Array.prototype.sort is stable: equal times keep the order above.
  return items.sort((a, b) => time(a.at) - time(b.at));
}

export type GroupedAttachments = {
  /** Sent with the ticket itself (and any whose comment is not listed). */
  ticket: TicketAttachment[];
  /** Each comment's files, by comment id, in the order given. */
  byComment: ReadonlyMap<string, TicketAttachment[]>;
};

/** The ticket's files split between the ticket and the comments they came with. */
export function groupAttachments(
  attachments: ReadonlyArray<TicketAttachment>,
  comments: ReadonlyArray<Pick<TicketComment, 'id'>>,
): GroupedAttachments {
  const known = new Set(comments.map((c) => c.id));
  const ticket: TicketAttachment[] = [];
  const byComment = new Map<string, TicketAttachment[]>();
  for (const a of attachments) {
    if (a.commentId && known.has(a.commentId)) {
      const list = byComment.get(a.commentId);
      if (list) list.push(a);
      else byComment.set(a.commentId, [a]);
    } else {
      ticket.push(a);
    }
  }
  return { ticket, byComment };
}
