import { useMemo } from 'react';
import { Link } from 'react-router';
import { LiveIndicator } from '@/components/ui/live-indicator';
import { LoadMore } from '@/components/ui/load-more';
import { EmptyState, ErrorMessage, Loading } from '@/components/ui/states';
import { PAGE_SIZE } from '@/config/api';
import { paths } from '@/config/paths';
import { MyTicketsQuery } from '@/features/tickets/api/my-tickets';
import { MyTicketsTable } from '@/features/tickets/components/my-tickets-table';
import { useMyTicketUpdates } from '@/features/tickets/hooks/use-my-ticket-updates';
import { useCursorPages } from '@/hooks/use-cursor-pages';
import { describeError } from '@/lib/errors';

const VARIABLES = { first: PAGE_SIZE };

export function MyTicketsRoute() {
  const pages = useCursorPages(
    MyTicketsQuery,
    VARIABLES,
    (d) => d.tickets,
    (t) => t.number,
  );
  // Status changes and the like arrive live and update the rows in place.
  const updates = useMyTicketUpdates();
  const { rows, updated } = useMemo(() => {
    const changed = new Set<string>();
    const list = pages.nodes.map((n) => {
      const { row, updated: u } = updates.current(n);
      if (u) changed.add(n.number);
      return row;
    });
    return { rows: list, updated: changed };
  }, [pages.nodes, updates.current]);

  return (
    <section aria-labelledby="my-tickets-title">
      <div className="title-row">
        <h1 id="my-tickets-title">My tickets</h1>
        <LiveIndicator state={updates.state} testId="live-indicator" />
      </div>
      {pages.error && pages.nodes.length === 0 ? (
        <ErrorMessage title="Could not load your tickets" message={describeError(pages.error)} onRetry={pages.refresh} />
      ) : pages.fetching && pages.nodes.length === 0 ? (
        <Loading label="Loading your tickets…" />
      ) : pages.nodes.length === 0 ? (
        <EmptyState title="You have no tickets yet.">
          <Link to={paths.newRequest}>Ask IT for something</Link>
        </EmptyState>
      ) : (
        <>
          <MyTicketsTable tickets={rows} updated={updated} />
          <LoadMore pages={pages} errorTitle="Could not load more" />
        </>
      )}
    </section>
  );
}
