import type { TicketStatus } from '@/gql/graphql';

/** The server's own label (`statusLabel`, e.g. "Start"); the enum only picks the colour. */
export function StatusBadge({ status, label }: { status: TicketStatus; label: string }) {
  return (
    <span className={`badge status-${status.toLowerCase()}`} data-status={status}>
      {label}
    </span>
  );
}
