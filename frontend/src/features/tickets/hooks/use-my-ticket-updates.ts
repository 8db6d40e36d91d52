import { useCallback, useState } from 'react';
import { useClient } from 'urql';
import { PAGE_SIZE } from '@/config/api';
import { useLiveSubscription } from '@/hooks/use-live-subscription';
import { newerOf } from '@/utils/versions';
import { MyTicketsQuery, MyTicketUpdatesSubscription } from '../api/my-tickets';
import type { MyTicketRow } from '../components/my-tickets-table';

/**
 * The newest copy of each ticket the live feed (`ticketUpdated`) pushed since
 * the list opened, by number. On each (re)connection the first page is
 * fetched again and merged in too, so a dropped socket loses no change.
 */
export function useMyTicketUpdates() {
  const client = useClient();
  const [pushed, setPushed] = useState<ReadonlyMap<string, MyTicketRow>>(() => new Map());

  const put = useCallback((rows: ReadonlyArray<MyTicketRow>) => {
    if (rows.length === 0) return;
    setPushed((prev) => {
      const next = new Map(prev);
      for (const r of rows) {
        const known = next.get(r.number);
        next.set(r.number, known ? newerOf(known, r) : r);
      }
      return next;
    });
  }, []);

  const resync = useCallback(() => {
    void client
      .query(MyTicketsQuery, { first: PAGE_SIZE, after: null }, { requestPolicy: 'network-only' })
      .toPromise()
      .then((r) => put(r.data?.tickets.edges.map((e) => e.node) ?? []));
  }, [client, put]);

  const live = useLiveSubscription(MyTicketUpdatesSubscription, {}, (d) => put([d.ticketUpdated]), {
    onResync: resync,
  });

  /** A loaded row as it stands now. */
  const current = useCallback(
    (row: MyTicketRow): { row: MyTicketRow; updated: boolean } => {
      const latest = newerOf(row, pushed.get(row.number));
      return { row: latest, updated: latest !== row };
    },
    [pushed],
  );

  return { current, state: live.state, error: live.error };
}
