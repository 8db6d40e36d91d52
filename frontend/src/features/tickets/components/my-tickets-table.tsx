import { Link } from 'react-router';
import { DateTime } from '@/components/ui/date-time';
import { StatusBadge } from '@/components/ui/status-badge';
import { paths } from '@/config/paths';
import type { RequestType, TicketStatus } from '@/gql/graphql';
import { requestTypeLabel } from '@/utils/format';

export type MyTicketRow = {
  number: string;
  subject: string;
  requestType: RequestType;
  status: TicketStatus;
  statusLabel: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  software: { label: string } | null;
};

/** The caller's tickets; rows changed over the live feed carry `data-live-updated`. */
export function MyTicketsTable({
  tickets,
  updated = new Set(),
}: {
  tickets: ReadonlyArray<MyTicketRow>;
  updated?: ReadonlySet<string>;
}) {
  return (
    <div className="table-wrap">
      <table className="data" data-testid="my-tickets-table">
        <caption className="visually-hidden">My tickets, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Number</th>
            <th scope="col">Subject</th>
            <th scope="col">Type</th>
            <th scope="col">Software</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {tickets.map((t) => (
            <tr
              key={t.number}
              data-testid={`ticket-row-${t.number}`}
              data-ticket-number={t.number}
              data-number={t.number}
              data-live-updated={updated.has(t.number) ? 'true' : undefined}
            >
              <td data-label="Number" className="nowrap">
                <Link to={paths.ticket(t.number)}>{t.number}</Link>
              </td>
              <td data-label="Subject" data-testid="row-subject">
                {t.subject}
              </td>
              <td data-label="Type">{requestTypeLabel(t.requestType)}</td>
              <td data-label="Software">{t.software?.label ?? '—'}</td>
              <td data-label="Status">
                <StatusBadge status={t.status} label={t.statusLabel} />
              </td>
              <td data-label="Created">
                <DateTime value={t.createdAt} />
              </td>
              <td data-label="Updated">
                <DateTime value={t.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
