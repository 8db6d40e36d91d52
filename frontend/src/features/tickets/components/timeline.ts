import type { HistoryEntry, TicketComment } from '../types';

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
