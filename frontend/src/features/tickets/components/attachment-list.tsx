import { formatBytes } from '@/utils/format';
import type { TicketAttachment } from '../types';
import styles from './attachments.module.css';

/**
 * Files as download links (`download`: the daemon serves them as
 * attachments, never inline), with their size; an internal note's files
 * carry the "Internal" badge as the note does.
 */
export function AttachmentList({
  attachments,
  label,
  testId = 'attachment-list',
  className,
}: {
  attachments: ReadonlyArray<TicketAttachment>;
  label: string;
  testId?: string;
  className?: string;
}) {
  if (attachments.length === 0) return null;
  return (
    <ul className={`${styles.files} ${className ?? ''}`} aria-label={label} data-testid={testId}>
      {attachments.map((a) => (
        <li
          key={a.id}
          className={styles.file}
          data-testid="attachment"
          data-attachment-id={a.id}
          data-internal={a.internal ? 'true' : undefined}
        >
          <a href={a.url} download data-testid="attachment-link">
            {a.filename}
          </a>
          <span className={styles.size} data-testid="attachment-size">
            {formatBytes(a.size)}
          </span>
          {a.internal && (
            <span
              className="badge internal-badge"
              data-testid="attachment-internal-badge"
              title="Visible to IT staff only"
            >
              Internal
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}
