import { DateTime } from '@/components/ui/date-time';
import type { SlaFields } from '@/utils/sla';
import styles from './ticket-details.module.css';

/** The SLA targets and when they were met; nothing without due times. */
export function TicketSla({ ticket }: { ticket: SlaFields }) {
  if (!ticket.firstResponseDueAt && !ticket.resolutionDueAt) return null;
  return (
    <section className={`card ${styles.panel}`} aria-labelledby="sla-title" data-testid="sla-details">
      <h2 id="sla-title">Service level</h2>
      <dl className={styles.sla}>
        {ticket.firstResponseDueAt && (
          <div>
            <dt>First response due</dt>
            <dd data-testid="sla-first-response-due">
              <DateTime value={ticket.firstResponseDueAt} />
              {ticket.firstResponseBreached && <strong className="field-error"> — missed</strong>}
            </dd>
          </div>
        )}
        {ticket.firstRespondedAt && (
          <div>
            <dt>First response</dt>
            <dd>
              <DateTime value={ticket.firstRespondedAt} />
            </dd>
          </div>
        )}
        {ticket.resolutionDueAt && (
          <div>
            <dt>Resolution due</dt>
            <dd data-testid="sla-resolution-due">
              <DateTime value={ticket.resolutionDueAt} />
              {ticket.resolutionBreached && <strong className="field-error"> — missed</strong>}
            </dd>
          </div>
        )}
        {ticket.resolvedAt && (
          <div>
            <dt>Resolved</dt>
            <dd>
              <DateTime value={ticket.resolvedAt} />
            </dd>
          </div>
        )}
      </dl>
    </section>
  );
}
