import { useEffect, useMemo, useState } from 'react';
import { EmptyState, ErrorMessage, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { PAGE_SIZE } from '@/config/api';
import { useCursorPages } from '@/hooks/use-cursor-pages';
import { describeError } from '@/lib/errors';
import { AdminTicketsQuery } from '../api/admin-tickets';
import { useLiveTickets } from '../hooks/use-live-tickets';
import { EMPTY_FILTER, toTicketFilter, type AdminFilter } from '../types';
import { AdminFilters } from './admin-filters';
import { AdminTicketsTable } from './admin-tickets-table';
import { LiveIndicator } from './live-indicator';
import styles from './admin.module.css';

export function AdminDashboard() {
  const [filter, setFilter] = useState<AdminFilter>(EMPTY_FILTER);
  const toast = useToast();
  const variables = useMemo(() => ({ filter: toTicketFilter(filter), first: PAGE_SIZE }), [filter]);
  const pages = useCursorPages(
    AdminTicketsQuery,
    variables,
    (d) => d.tickets,
    (t) => t.number,
  );
  const feed = useLiveTickets(filter, (t) =>
    toast.show(`New ticket ${t.number} from ${t.requester.displayName || t.requester.username}`),
  );
  const { markKnown } = feed;

  useEffect(() => {
    if (!pages.fetching && !pages.error) markKnown(pages.nodes.map((t) => t.number));
  }, [pages.nodes, pages.fetching, pages.error, markKnown]);

  // Live tickets on top, then the loaded pages, each ticket once.
  const rows = useMemo(() => {
    const seen = new Set<string>();
    return [...feed.live, ...pages.nodes].filter((t) => (seen.has(t.number) ? false : (seen.add(t.number), true)));
  }, [feed.live, pages.nodes]);

  const filtered = Boolean(filter.status || filter.requestType || filter.number);

  return (
    <section aria-labelledby="admin-title">
      <div className={styles.titleRow}>
        <h1 id="admin-title">All tickets</h1>
        <LiveIndicator state={feed.state} />
      </div>
      <AdminFilters value={filter} onChange={setFilter} />
      {feed.error && (
        <ErrorMessage title="The live feed is unavailable" message={describeError(feed.error)} />
      )}

      {pages.error && rows.length === 0 ? (
        <ErrorMessage title="Could not load tickets" message={describeError(pages.error)} onRetry={pages.refresh} />
      ) : pages.fetching && rows.length === 0 ? (
        <Loading label="Loading tickets…" />
      ) : rows.length === 0 ? (
        <EmptyState title={filtered ? 'No ticket matches these filters.' : 'No tickets yet.'}>
          New tickets will appear here as soon as they are created.
        </EmptyState>
      ) : (
        <>
          <AdminTicketsTable tickets={rows} liveNew={feed.liveNumbers} />
          {pages.error && (
            <ErrorMessage title="Could not load more tickets" message={describeError(pages.error)} onRetry={pages.loadMore} />
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
