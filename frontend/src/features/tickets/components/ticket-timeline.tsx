import { DateTime } from '@/components/ui/date-time';
import { StatusBadge } from '@/components/ui/status-badge';
import { personName } from '@/utils/format';
import type { HistoryEntry, TicketAttachment, TicketComment } from '../types';
import { AttachmentList } from './attachment-list';
import { mergeTimeline } from './timeline';
import attachmentStyles from './attachments.module.css';
import styles from './ticket-details.module.css';

const NO_FILES: ReadonlyArray<TicketAttachment> = [];

/**
 * Status changes and comments, oldest first; every note and comment is text.
 * A comment's files are listed under it.
 */
export function TicketTimeline({
  history,
  comments,
  commentFiles,
}: {
  history: ReadonlyArray<HistoryEntry>;
  comments: ReadonlyArray<TicketComment>;
  commentFiles?: ReadonlyMap<string, ReadonlyArray<TicketAttachment>>;
}) {
  const items = mergeTimeline(history, comments);
  return (
    <section data-testid="ticket-history" aria-labelledby="timeline-title">
      <h2 id="timeline-title">History</h2>
      {items.length === 0 ? (
        <p className={styles.muted}>No history yet.</p>
      ) : (
        <ol className={styles.timeline} data-testid="timeline">
          {items.map((item) =>
            item.kind === 'status' ? (
              <li key={item.key} className={styles.event} data-testid="timeline-item" data-kind="status">
                <div className={styles.eventHead}>
                  <StatusBadge status={item.entry.status} label={item.entry.statusLabel} />
                  <DateTime value={item.entry.at} />
                  {item.entry.actor && <span className={styles.muted}>by {personName(item.entry.actor)}</span>}
                </div>
                {item.entry.notes && <p className={styles.notes}>{item.entry.notes}</p>}
              </li>
            ) : (
              <li
                key={item.key}
                className={`${styles.event} ${styles.comment} ${item.comment.internal ? styles.internal : ''}`}
                data-testid="timeline-item"
                data-kind="comment"
                data-internal={item.comment.internal ? 'true' : undefined}
              >
                <div className={styles.eventHead}>
                  <strong>{item.comment.author ? personName(item.comment.author) : 'Someone'}</strong>
                  <span className={styles.muted}>commented</span>
                  <DateTime value={item.comment.createdAt} />
                  {item.comment.internal && (
                    <span className="badge internal-badge" data-testid="internal-badge" title="Visible to IT staff only">
                      Internal
                    </span>
                  )}
                </div>
                <p className={styles.notes}>{item.comment.body}</p>
                <AttachmentList
                  attachments={commentFiles?.get(item.comment.id) ?? NO_FILES}
                  label={item.comment.internal ? 'Files with this internal note' : 'Files with this comment'}
                  testId="comment-attachments"
                  className={attachmentStyles.commentFiles}
                />
              </li>
            ),
          )}
        </ol>
      )}
    </section>
  );
}
