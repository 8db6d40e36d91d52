import { DateTime } from '@/components/ui/date-time';
import { StatusBadge } from '@/components/ui/status-badge';
import type { TicketDetailsQuery } from '@/gql/graphql';
import { requestTypeLabel } from '@/utils/format';
import styles from './ticket-details.module.css';

type Ticket = NonNullable<TicketDetailsQuery['ticket']>;

const PRIORITY_LABELS: Record<Ticket['priority'], string> = {
  LOW: 'Low',
  MEDIUM: 'Medium',
  HIGH: 'High',
  CRITICAL: 'Critical',
};

const person = (u: { displayName: string; username: string } | null) =>
  u ? `${u.displayName || u.username} (${u.username})` : '—';

/** Everything about one ticket; all user text is rendered as text. */
export function TicketDetails({ ticket }: { ticket: Ticket }) {
  return (
    <article data-testid="ticket-details" aria-labelledby="ticket-title">
      <header className={styles.head}>
        <h1 id="ticket-title" data-testid="ticket-number">
          {ticket.number}
        </h1>
        <StatusBadge status={ticket.status} label={ticket.statusLabel} />
      </header>

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
            <dt>Priority</dt>
            <dd>{PRIORITY_LABELS[ticket.priority] ?? ticket.priority}</dd>
          </div>
          <div>
            <dt>Requester</dt>
            <dd>{person(ticket.requester)}</dd>
          </div>
          <div>
            <dt>Assignee</dt>
            <dd>{ticket.assignee ? person(ticket.assignee) : 'Not assigned yet'}</dd>
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
      </div>

      <h2>History</h2>
      {ticket.history.length === 0 ? (
        <p className={styles.muted}>No history yet.</p>
      ) : (
        <ol className={styles.timeline} data-testid="ticket-history">
          {ticket.history.map((h) => (
            <li key={h.id} className={styles.event}>
              <div className={styles.eventHead}>
                <StatusBadge status={h.status} label={h.statusLabel} />
                <DateTime value={h.at} />
                {h.actor && <span className={styles.muted}>by {h.actor.displayName || h.actor.username}</span>}
              </div>
              {h.notes && <p className={styles.notes}>{h.notes}</p>}
            </li>
          ))}
        </ol>
      )}
    </article>
  );
}
