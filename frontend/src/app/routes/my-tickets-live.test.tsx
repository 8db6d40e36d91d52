import { act, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { liveSource } from '@/test/mock-client';
import { connection, renderApp, sessions, ticketNode } from '@/test/render';

describe('/my-tickets live', () => {
  it('updates a listed ticket in place when it changes, and ignores others', async () => {
    const feed = liveSource();
    const { calls, live } = renderApp({
      path: '/my-tickets',
      session: sessions.john,
      handlers: {
        MyTickets: () => ({ data: connection([ticketNode(2), ticketNode(1)]) }),
        MyTicketUpdates: () => ({ source: feed.source }),
      },
    });
    const row = await screen.findByTestId('ticket-row-INC-2026-0001');
    expect(row).toHaveTextContent('Start');
    expect(calls.find((c) => c.name === 'MyTicketUpdates')?.variables).toEqual({});
    act(() => live.set('connected'));
    expect(screen.getByTestId('live-indicator')).toHaveAttribute('data-state', 'connected');

    act(() =>
      feed.next({
        data: {
          ticketUpdated: ticketNode(1, { status: 'RESOLVED', statusLabel: 'Resolved', version: 3, updatedAt: '2026-11-21T09:00:00Z' }),
        },
      }),
    );
    await waitFor(() => expect(screen.getByTestId('ticket-row-INC-2026-0001')).toHaveTextContent('Resolved'));
    expect(screen.getByTestId('ticket-row-INC-2026-0001')).toHaveAttribute('data-live-updated', 'true');
    expect(screen.getByTestId('ticket-row-INC-2026-0002')).toHaveTextContent('Start');

    // Not one of the listed tickets: no new row.
    act(() => feed.next({ data: { ticketUpdated: ticketNode(9, { status: 'CLOSED', statusLabel: 'Closed', version: 2 }) } }));
    expect(screen.queryByTestId('ticket-row-INC-2026-0009')).not.toBeInTheDocument();
  });

  it('catches up on reconnection without dropping loaded rows', async () => {
    let first = [ticketNode(2), ticketNode(1)];
    const { live } = renderApp({
      path: '/my-tickets',
      session: sessions.john,
      handlers: {
        MyTickets: () => ({ data: connection(first) }),
        MyTicketUpdates: () => 'pending',
      },
    });
    await screen.findByTestId('ticket-row-INC-2026-0002');
    first = [ticketNode(2, { status: 'ON_HOLD', statusLabel: 'On hold', version: 2 }), ticketNode(1)];
    act(() => live.set('connected'));
    await waitFor(() => expect(screen.getByTestId('ticket-row-INC-2026-0002')).toHaveTextContent('On hold'));
    expect(screen.getByTestId('ticket-row-INC-2026-0001')).toBeInTheDocument();
  });
});
