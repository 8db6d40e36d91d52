import { Link } from 'react-router';
import { DateTime } from '@/components/ui/date-time';
import { SlaBadge } from '@/components/ui/sla-badge';
import { StatusBadge } from '@/components/ui/status-badge';
import { paths } from '@/config/paths';
import { personName, PRIORITY_LABELS, requestTypeLabel } from '@/utils/format';
import type { AdminTicket } from '../types';

/**
 * All tickets. Rows that arrived over the live feed carry `live-new`, rows a
 * live change updated carry `data-live-updated`.
 *
 * Each row is its own `<tbody>` (a row group), so a row can be found both as
 * `[data-testid="ticket-row"][data-number=…]` (the `<tr>`) and, as before, as
 * `[data-testid="ticket-row-<number>"]` (its group).
 */
export function AdminTicketsTable({
  tickets,
  liveNew,
  liveUpdated = new Set(),
}: {
  tickets: ReadonlyArray<AdminTicket>;
  liveNew: ReadonlySet<string>;
  liveUpdated?: ReadonlySet<string>;
}) {
  return (
    <div className="table-wrap">
      <table className="data" data-testid="admin-tickets-table">
        <caption className="visually-hidden">All tickets</caption>
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Subject</th>
            <th scope="col">Requester</th>
            <th scope="col">Type</th>
            <th scope="col">Software</th>
            <th scope="col">Status</th>
            <th scope="col">Priority</th>
            <th scope="col">Assignee</th>
            <th scope="col">SLA</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        {tickets.map((t) => {
          const isNew = liveNew.has(t.number);
          const live = isNew ? { className: 'live-new', 'data-live-new': 'true' } : {};
          return (
            <tbody key={t.number} data-testid={`ticket-row-${t.number}`} {...live}>
              <tr
                {...live}
                data-testid="ticket-row"
                data-number={t.number}
                data-ticket-number={t.number}
                data-status={t.status}
                data-live-updated={liveUpdated.has(t.number) ? 'true' : undefined}
              >
                <td data-label="Number" className="nowrap">
                  <Link to={paths.ticket(t.number)}>{t.number}</Link>
                  {isNew && (
                    <span className="badge live-badge" aria-label="new, arrived live">
                      New
                    </span>
                  )}
                </td>
                <td data-label="Subject" data-testid="row-subject" className="subject-cell">
                  {t.subject}
                </td>
                <td data-label="Requester">{personName(t.requester)}</td>
                <td data-label="Type">{requestTypeLabel(t.requestType)}</td>
                <td data-label="Software">{t.software?.label ?? '—'}</td>
                <td data-label="Status">
                  <StatusBadge status={t.status} label={t.statusLabel} />
                </td>
                <td data-label="Priority" className={`priority-${t.priority.toLowerCase()}`}>
                  {PRIORITY_LABELS[t.priority] ?? t.priority}
                </td>
                <td data-label="Assignee" data-testid="row-assignee">
                  {t.assignee ? personName(t.assignee) : '—'}
                </td>
                <td data-label="SLA">
                  <SlaBadge ticket={t} />
                </td>
                <td data-label="Created">
                  <DateTime value={t.createdAt} />
                </td>
              </tr>
            </tbody>
          );
        })}
      </table>
    </div>
  );
}
