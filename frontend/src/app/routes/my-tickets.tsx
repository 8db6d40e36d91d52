import { Link } from 'react-router';
import { EmptyState, ErrorMessage, Loading } from '@/components/ui/states';
import { PAGE_SIZE } from '@/config/api';
import { paths } from '@/config/paths';
import { MyTicketsQuery } from '@/features/tickets/api/my-tickets';
import { MyTicketsTable } from '@/features/tickets/components/my-tickets-table';
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

  return (
    <section aria-labelledby="my-tickets-title">
      <h1 id="my-tickets-title">My tickets</h1>
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
          <MyTicketsTable tickets={pages.nodes} />
          {pages.error && (
            <ErrorMessage title="Could not load more" message={describeError(pages.error)} onRetry={pages.loadMore} />
          )}
          {pages.hasNextPage && (
            <div className="pager">
              <button
                type="button"
                className="button secondary"
                onClick={pages.loadMore}
                disabled={pages.fetchingMore}
                data-testid="load-more"
              >
                {pages.fetchingMore ? 'Loading…' : 'Load more'}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
