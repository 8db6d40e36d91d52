import { Link } from 'react-router';
import { DateTime } from '@/components/ui/date-time';
import { StatusBadge } from '@/components/ui/status-badge';
import { paths } from '@/config/paths';
import { requestTypeLabel } from '@/utils/format';
import type { AdminTicket } from '../types';

/** All tickets; rows that arrived over the live feed carry `live-new`. */
export function AdminTicketsTable({
  tickets,
  liveNew,
}: {
  tickets: ReadonlyArray<AdminTicket>;
  liveNew: ReadonlySet<string>;
}) {
  return (
    <div className="table-wrap">
      <table className="data" data-testid="admin-tickets-table">
        <caption className="visually-hidden">All tickets, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Requester</th>
            <th scope="col">Type</th>
            <th scope="col">Software</th>
            <th scope="col">Status</th>
            <th scope="col">Assignee</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {tickets.map((t) => {
            const isNew = liveNew.has(t.number);
            return (
              <tr
                key={t.number}
                className={isNew ? 'live-new' : undefined}
                data-live-new={isNew ? 'true' : undefined}
                data-testid={`ticket-row-${t.number}`}
                data-ticket-number={t.number}
              >
                <td data-label="Number" className="nowrap">
                  <Link to={paths.ticket(t.number)}>{t.number}</Link>
                  {isNew && (
                    <span className="badge live-badge" aria-label="new, arrived live">
                      New
                    </span>
                  )}
                </td>
                <td data-label="Requester">{t.requester.displayName || t.requester.username}</td>
                <td data-label="Type">{requestTypeLabel(t.requestType)}</td>
                <td data-label="Software">{t.software?.label ?? '—'}</td>
                <td data-label="Status">
                  <StatusBadge status={t.status} label={t.statusLabel} />
                </td>
                <td data-label="Assignee">{t.assignee ? t.assignee.displayName || t.assignee.username : '—'}</td>
                <td data-label="Created">
                  <DateTime value={t.createdAt} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
