import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useClient, type CombinedError } from 'urql';
import { pipe, subscribe } from 'wonka';
import { PAGE_SIZE } from '@/config/api';
import { useConnectionStatus } from '@/lib/connection-status';
import { useLiveStatusStore } from '@/lib/graphql-provider';
import { AdminTicketsQuery, TicketCreatedSubscription } from '../api/admin-tickets';
import { matchesFilter, toTicketFilter, type AdminFilter, type AdminTicket } from '../types';

/**
 * Tickets pushed by the `ticketCreated` subscription since the page opened,
 * newest first. Each time the WebSocket (re)connects, the first page is
 * fetched again and any ticket not yet listed is added as new too, so a
 * dropped connection never silently loses one.
 */
export function useLiveTickets(filter: AdminFilter, onNew?: (t: AdminTicket) => void) {
  const client = useClient();
  const store = useLiveStatusStore();
  const status = useConnectionStatus(store);
  const [live, setLive] = useState<AdminTicket[]>([]);
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

  useEffect(() => {
    const { unsubscribe } = pipe(
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
    return unsubscribe;
  }, [client]);

  // Resynchronise on every (re)connection once the list has loaded: whatever
  // was created while the socket was down, or before the subscription began.
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const [ready, setReady] = useState(false);
  const handledConnects = useRef(0);
  useEffect(() => {
    if (!ready || status.connects === 0 || status.connects === handledConnects.current) return;
    handledConnects.current = status.connects;
    void client
      .query(
        AdminTicketsQuery,
        { filter: toTicketFilter(filterRef.current), first: PAGE_SIZE, after: null },
        { requestPolicy: 'network-only' },
      )
      .toPromise()
      .then((r) => addRef.current(r.data?.tickets.edges.map((e) => e.node) ?? []));
  }, [client, ready, status.connects]);

  /** The rows the list has loaded: a resync does not flag them as new. */
  const markKnown = useCallback((numbers: Iterable<string>) => {
    for (const n of numbers) knownRef.current.add(n);
    setReady(true);
  }, []);

  const visible = useMemo(() => live.filter((t) => matchesFilter(t, filter)), [live, filter]);
  const liveNumbers = useMemo(() => new Set(live.map((t) => t.number)), [live]);

  return { live: visible, liveNumbers, state: status.state, error, markKnown };
}
