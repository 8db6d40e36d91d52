import { useEffect, useMemo, useState } from 'react';
import { LiveIndicator } from '@/components/ui/live-indicator';
import { LoadMore } from '@/components/ui/load-more';
import { EmptyState, ErrorMessage, Loading } from '@/components/ui/states';
import { useToast } from '@/components/ui/toast';
import { PAGE_SIZE } from '@/config/api';
import type { TicketSort } from '@/gql/graphql';
import { useCursorPages } from '@/hooks/use-cursor-pages';
import { useAuth } from '@/lib/auth';
import { describeError } from '@/lib/errors';
import { AdminTicketsQuery } from '../api/admin-tickets';
import { useLiveTickets } from '../hooks/use-live-tickets';
import { EMPTY_FILTER, isFiltered, toTicketFilter, type AdminFilter } from '../types';
import { AdminFilters } from './admin-filters';
import { AdminTicketsTable } from './admin-tickets-table';
import styles from './admin.module.css';

export function AdminDashboard() {
  const [filter, setFilter] = useState<AdminFilter>(EMPTY_FILTER);
  const [sort, setSort] = useState<TicketSort>('NEWEST');
  const meId = useAuth().session?.user.id;
  const toast = useToast();
  // `sort` is sent only when it is not the server's default (newest first).
  const variables = useMemo(
    () => ({ filter: toTicketFilter(filter), first: PAGE_SIZE, ...(sort === 'NEWEST' ? {} : { sort }) }),
    [filter, sort],
  );
  const pages = useCursorPages(
    AdminTicketsQuery,
    variables,
    (d) => d.tickets,
    (t) => t.number,
  );
  const feed = useLiveTickets(filter, {
    sort,
    meId,
    onNew: (t) => toast.show(`New ticket ${t.number} from ${t.requester.displayName || t.requester.username}`),
  });
  const { markKnown, latest } = feed;

  useEffect(() => {
    if (!pages.fetching && !pages.error) markKnown(pages.nodes.map((t) => t.number));
  }, [pages.nodes, pages.fetching, pages.error, markKnown]);

  // Live tickets on top, then the loaded pages, each ticket once, each as the
  // live feed last described it.
  const rows = useMemo(() => {
    const seen = new Set<string>();
    return [...feed.live, ...pages.nodes]
      .filter((t) => (seen.has(t.number) ? false : (seen.add(t.number), true)))
      .map(latest);
  }, [feed.live, pages.nodes, latest]);
  const liveUpdated = useMemo(() => new Set(feed.updated.keys()), [feed.updated]);

  return (
    <section aria-labelledby="admin-title">
      <div className={styles.titleRow}>
        <h1 id="admin-title">All tickets</h1>
        <LiveIndicator state={feed.state} />
      </div>
      <AdminFilters value={filter} onChange={setFilter} sort={sort} onSortChange={setSort} />
      {feed.error && (
        <ErrorMessage title="The live feed is unavailable" message={describeError(feed.error)} />
      )}

      {pages.error && rows.length === 0 ? (
        <ErrorMessage title="Could not load tickets" message={describeError(pages.error)} onRetry={pages.refresh} />
      ) : pages.fetching && rows.length === 0 ? (
        <Loading label="Loading tickets…" />
      ) : rows.length === 0 ? (
        <EmptyState title={isFiltered(filter) ? 'No ticket matches these filters.' : 'No tickets yet.'}>
          New tickets will appear here as soon as they are created.
        </EmptyState>
      ) : (
        <>
          <AdminTicketsTable tickets={rows} liveNew={feed.liveNumbers} liveUpdated={liveUpdated} />
          <LoadMore pages={pages} errorTitle="Could not load more tickets" />
        </>
      )}
    </section>
  );
}
