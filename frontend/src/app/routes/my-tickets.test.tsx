import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { gqlError } from '@/test/mock-client';
import { connection, renderApp, sessions, ticketNode } from '@/test/render';

describe('/my-tickets', () => {
  it('shows a loading state', async () => {
    renderApp({ path: '/my-tickets', session: sessions.john, handlers: { MyTickets: () => 'pending' } });
    expect(await screen.findByTestId('loading')).toHaveTextContent(/loading/i);
  });

  it('shows an empty state with a way to make a request', async () => {
    renderApp({ path: '/my-tickets', session: sessions.john, handlers: { MyTickets: () => ({ data: connection([]) }) } });
    expect(await screen.findByTestId('empty')).toHaveTextContent('You have no tickets yet.');
    expect(screen.getByRole('link', { name: /ask it for something/i })).toHaveAttribute('href', '/new-request');
  });

  it('shows an error state with a retry', async () => {
    let n = 0;
    renderApp({
      path: '/my-tickets',
      session: sessions.john,
      handlers: { MyTickets: () => (n++ === 0 ? gqlError('INTERNAL', 'boom') : { data: connection([ticketNode(1)]) }) },
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(/Could not load your tickets/);
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('ticket-row-INC-2026-0001')).toBeInTheDocument();
  });

  it('lists number, type, software, status and dates, and pages with endCursor', async () => {
    const { calls } = renderApp({
      path: '/my-tickets',
      session: sessions.john,
      handlers: {
        MyTickets: (v) =>
          v.after == null
            ? { data: connection([ticketNode(2), ticketNode(1, { requestType: 'HARDWARE', software: null })], true, 'cursor-2') }
            : { data: connection([ticketNode(0, { status: 'RESOLVED', statusLabel: 'Resolved' })]) },
      },
    });
    const row = await screen.findByTestId('ticket-row-INC-2026-0002');
    expect(within(row).getByRole('link', { name: 'INC-2026-0002' })).toHaveAttribute('href', '/tickets/INC-2026-0002');
    expect(row).toHaveTextContent('Software install');
    expect(row).toHaveTextContent('Autodesk AutoCAD 2025');
    expect(row).toHaveTextContent('Start');
    expect(within(row).getAllByRole('time')).toHaveLength(2);
    expect(screen.getByTestId('ticket-row-INC-2026-0001')).toHaveTextContent('Hardware');

    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    expect(await screen.findByTestId('ticket-row-INC-2026-0000')).toHaveTextContent('Resolved');
    expect(calls.filter((c) => c.name === 'MyTickets').map((c) => c.variables.after ?? null)).toEqual([null, 'cursor-2']);
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument());
  });

  it('sends an unauthenticated visitor to /login', async () => {
    const { router } = renderApp({ path: '/my-tickets' });
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(await screen.findByLabelText('Username')).toBeInTheDocument();
  });
});
