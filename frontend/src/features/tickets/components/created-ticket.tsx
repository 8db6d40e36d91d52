import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { paths } from '@/config/paths';
import type { CreatedTicket as Created } from './new-request-form';

/** The confirmation after a successful request: the number, linked to its page. */
export function CreatedTicket({ ticket, onAnother }: { ticket: Created; onAnother: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section className="card" data-testid="created-ticket" aria-labelledby="created-title">
      <h2 id="created-title" ref={heading} tabIndex={-1}>
        Request received
      </h2>
      <p>
        Your ticket number is{' '}
        <Link to={paths.ticket(ticket.number)} data-testid="created-ticket-number">
          {ticket.number}
        </Link>{' '}
        (status: {ticket.statusLabel}). IT has been notified.
      </p>
      {ticket.subject && <p data-testid="created-ticket-subject">{ticket.subject}</p>}
      <div className="form-actions">
        <Link to={paths.myTickets} className="button secondary">
          See my tickets
        </Link>
        <button type="button" className="button secondary" onClick={onAnother}>
          Make another request
        </button>
      </div>
    </section>
  );
}
