import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useClient, type CombinedError } from 'urql';
import { pipe, subscribe } from 'wonka';
import { PAGE_SIZE } from '@/config/api';
import type { TicketSort } from '@/gql/graphql';
import { useConnectionStatus } from '@/lib/connection-status';
import { useLiveStatusStore } from '@/lib/graphql-provider';
import { newerOf } from '@/utils/versions';
import { AdminTicketsQuery, AdminTicketUpdatesSubscription, TicketCreatedSubscription } from '../api/admin-tickets';
import { matchesFilter, toTicketFilter, type AdminFilter, type AdminTicket } from '../types';

/**
 * The dashboard's live feed.
 *
 * - `live`: tickets pushed by `ticketCreated` since the page opened, newest
 *   first (shown on top of the list when sorted newest first).
 * - `latest(t)`: a listed ticket as `ticketUpdated` last described it, so a
 *   row changes in place when someone works the ticket.
 *
 * Each time the WebSocket (re)connects, the first page is fetched again: any
 * ticket not yet listed is added as new (newest-first order only) and every
 * one refreshes its row, so a dropped connection never silently loses a
 * ticket or a change.
 */
export function useLiveTickets(
  filter: AdminFilter,
  { sort = 'NEWEST', meId, onNew }: { sort?: TicketSort; meId?: string; onNew?: (t: AdminTicket) => void } = {},
) {
  const client = useClient();
  const store = useLiveStatusStore();
  const status = useConnectionStatus(store);
  const [live, setLive] = useState<AdminTicket[]>([]);
  const [updates, setUpdates] = useState<ReadonlyMap<string, AdminTicket>>(() => new Map());
  const [error, setError] = useState<CombinedError | null>(null);
  const onNewRef = useRef(onNew);
  onNewRef.current = onNew;
  const knownRef = useRef(new Set<string>());

  const add = (tickets: AdminTicket[]) => {
    const fresh = tickets.filter((t) => !knownRef.current.has(t.number));
    if (fresh.length === 0) return;
    fresh.forEach((t) => knownRef.current.add(t.number));
    setLive((prev) => [...fresh, ...prev]);
    fresh.forEach((t) => onNewRef.current?.(t));
  };
  const addRef = useRef(add);
  addRef.current = add;

  const update = useCallback((tickets: AdminTicket[]) => {
    if (tickets.length === 0) return;
    setUpdates((prev) => {
      const next = new Map(prev);
      for (const t of tickets) {
        const known = next.get(t.number);
        next.set(t.number, known ? newerOf(known, t) : t);
      }
      return next;
    });
  }, []);

  useEffect(() => {
    const created = pipe(
      client.subscription(TicketCreatedSubscription, {}),
      subscribe((result) => {
        if (result.error) {
          setError(result.error);
          return;
        }
        setError(null);
        const t = result.data?.ticketCreated;
        if (t) addRef.current([t]);
      }),
    );
    const updated = pipe(
      client.subscription(AdminTicketUpdatesSubscription, {}),
      subscribe((result) => {
        const t = result.data?.ticketUpdated;
        if (t) update([t]);
      }),
    );
    return () => {
      created.unsubscribe();
      updated.unsubscribe();
    };
  }, [client, update]);

  // Resynchronise on every (re)connection once the list has loaded: whatever
  // was created or changed while the socket was down, or before it opened.
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const sortRef = useRef(sort);
  sortRef.current = sort;
  const [ready, setReady] = useState(false);
  const handledConnects = useRef(0);
  useEffect(() => {
    if (!ready || status.connects === 0 || status.connects === handledConnects.current) return;
    handledConnects.current = status.connects;
    const newestFirst = sortRef.current === 'NEWEST';
    void client
      .query(
        AdminTicketsQuery,
        {
          filter: toTicketFilter(filterRef.current),
          first: PAGE_SIZE,
          after: null,
          ...(newestFirst ? {} : { sort: sortRef.current }),
        },
        { requestPolicy: 'network-only' },
      )
      .toPromise()
      .then((r) => {
        const nodes = r.data?.tickets.edges.map((e) => e.node) ?? [];
        update(nodes);
        // Another order's first page is no sign of what is new.
        if (newestFirst) addRef.current(nodes);
      });
  }, [client, ready, status.connects, update]);

  /** The rows the list has loaded: a resync does not flag them as new. */
  const markKnown = useCallback((numbers: Iterable<string>) => {
    for (const n of numbers) knownRef.current.add(n);
    setReady(true);
  }, []);

  const visible = useMemo(
    () => (sort === 'NEWEST' ? live.filter((t) => matchesFilter(newerOf(t, updates.get(t.number)), filter, meId)) : []),
    [live, filter, sort, meId, updates],
  );
  const liveNumbers = useMemo(() => new Set(live.map((t) => t.number)), [live]);

  /** A ticket as the live feed last described it. */
  const latest = useCallback((t: AdminTicket) => newerOf(t, updates.get(t.number)), [updates]);

  return { live: visible, liveNumbers, latest, updated: updates, state: status.state, error, markKnown };
}
