import { Link } from 'react-router';
import { DateTime } from '@/components/ui/date-time';
import { HealthBadge } from '@/components/ui/health-badge';
import { paths } from '@/config/paths';
import { LiveIndicator } from '@/components/ui/live-indicator';
import { SlaBadge } from '@/components/ui/sla-badge';
import { StatusBadge } from '@/components/ui/status-badge';
import type { LiveState } from '@/lib/connection-status';
import { PRIORITY_LABELS, requestTypeLabel } from '@/utils/format';
import { useActionFeedback } from '../hooks/use-action-feedback';
import type { AttachmentLimits } from '../hooks/use-attachment-uploads';
import type { TicketDetail } from '../types';
import { AttachmentList } from './attachment-list';
import { CommentForm } from './comment-form';
import { StaffControls } from './staff-controls';
import { StatusActions } from './status-actions';
import { TicketSla } from './ticket-sla';
import { TicketTimeline } from './ticket-timeline';
import { groupAttachments } from './timeline';
import attachmentStyles from './attachments.module.css';
import styles from './ticket-details.module.css';

const person = (u: { displayName: string; username: string } | null) =>
  u ? `${u.displayName || u.username} (${u.username})` : '—';

/**
 * Everything about one ticket, and what the caller may do with it: status
 * moves, assignment and priority (staff), comments. All user text is
 * rendered as text. `reload` fetches the ticket again (after an action, or
 * when the live feed says it changed).
 */
export function TicketDetails({
  ticket,
  attachmentLimits,
  meId,
  liveState,
  liveUnavailable,
  reload,
}: {
  ticket: TicketDetail;
  attachmentLimits: AttachmentLimits;
  meId: string | undefined;
  liveState: LiveState;
  liveUnavailable: boolean;
  reload: () => void;
}) {
  const feedback = useActionFeedback(reload);
  const hasActions = ticket.allowedStatuses.length > 0 || ticket.canAssign;
  const files = groupAttachments(ticket.attachments, ticket.comments);

  return (
    <article data-testid="ticket-details" aria-labelledby="ticket-title">
      <header className={styles.head}>
        <h1 id="ticket-title" data-testid="ticket-number">
          {ticket.number}
        </h1>
        <div className={styles.headBadges}>
          <span data-testid="ticket-status" data-status={ticket.status}>
            <StatusBadge status={ticket.status} label={ticket.statusLabel} />
          </span>
          <SlaBadge ticket={ticket} />
        </div>
        <span className={styles.live}>
          <LiveIndicator state={liveState} testId="live-indicator" />
        </span>
      </header>
      <p className={styles.subject} data-testid="ticket-subject">
        {ticket.subject}
      </p>
      {liveUnavailable && (
        <p className={styles.muted} role="status">
          Live updates are unavailable; reload the page to see changes.
        </p>
      )}

      <div className="card">
        <dl className={styles.facts}>
          <div>
            <dt>Type</dt>
            <dd>{requestTypeLabel(ticket.requestType)}</dd>
          </div>
          <div>
            <dt>Software</dt>
            <dd>{ticket.software?.label ?? '—'}</dd>
          </div>
          <div>
            <dt>Devices</dt>
            <dd data-testid="ticket-devices">
              {(ticket.assets ?? []).length === 0
                ? '—'
                : (ticket.assets ?? []).map((a) => (
                    <span key={a.tag} className={styles.device} data-testid={`ticket-device-${a.tag}`}>
                      <Link to={paths.asset(a.tag)}>{a.tag}</Link> {a.name}{' '}
                      <HealthBadge health={a.health} reason={a.healthReason} />
                    </span>
                  ))}
            </dd>
          </div>
          <div>
            <dt>Priority</dt>
            <dd data-testid="ticket-priority">{PRIORITY_LABELS[ticket.priority] ?? ticket.priority}</dd>
          </div>
          <div>
            <dt>Requester</dt>
            <dd>{person(ticket.requester)}</dd>
          </div>
          <div>
            <dt>Assignee</dt>
            <dd data-testid="ticket-assignee">{ticket.assignee ? person(ticket.assignee) : 'Not assigned yet'}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <DateTime value={ticket.createdAt} />
            </dd>
          </div>
          <div>
            <dt>Updated</dt>
            <dd>
              <DateTime value={ticket.updatedAt} />
            </dd>
          </div>
        </dl>
        <h2 className={styles.sub}>Description</h2>
        <p className={styles.description} data-testid="ticket-description">
          {ticket.description}
        </p>
        {files.ticket.length > 0 && (
          <>
            <h2 id="ticket-files-title" className={attachmentStyles.filesTitle}>
              Files
            </h2>
            <AttachmentList attachments={files.ticket} label="Files sent with the request" testId="ticket-attachments" />
          </>
        )}
      </div>

      {hasActions && (
        <section className={`card ${styles.panel}`} aria-labelledby="actions-title" data-testid="ticket-actions">
          <h2 id="actions-title">Work on this ticket</h2>
          {feedback.problem && (
            <p
              role="alert"
              className={styles.notice}
              data-testid="action-error"
              data-conflict={feedback.problem.conflict ? 'true' : undefined}
            >
              {feedback.problem.text}
            </p>
          )}
          <StatusActions ticket={ticket} onDone={feedback.done} />
          {ticket.canAssign && <StaffControls ticket={ticket} meId={meId} onDone={feedback.done} />}
        </section>
      )}

      <TicketSla ticket={ticket} />

      <CommentForm
        number={ticket.number}
        canPostInternal={ticket.canAssign}
        attachmentLimits={attachmentLimits}
        onAdded={reload}
      />

      <TicketTimeline history={ticket.history} comments={ticket.comments} commentFiles={files.byComment} />
    </article>
  );
}
