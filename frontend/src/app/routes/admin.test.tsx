import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Session } from '@/lib/session';
import { gqlError, liveSource, type Handler } from '@/test/mock-client';
import { connection, renderApp, sessions, ticketNode } from '@/test/render';

function setupAdmin(list: Handler, session: Session = sessions.admin) {
  const feed = liveSource();
  const r = renderApp({
    path: '/admin',
    session,
    handlers: { AdminTickets: list, TicketCreated: () => ({ source: feed.source }) },
  });
  return { ...r, feed };
}

describe('/admin', () => {
  it('turns requesters away without asking for any ticket', async () => {
    const { calls } = renderApp({ path: '/admin', session: sessions.john });
    expect(await screen.findByTestId('not-allowed')).toHaveTextContent('Not allowed');
    expect(screen.queryByTestId('admin-tickets-table')).not.toBeInTheDocument();
    expect(calls).toHaveLength(0);
    expect(screen.queryByRole('link', { name: 'Dashboard' })).not.toBeInTheDocument();
  });

  it('lets agents in', async () => {
    setupAdmin(() => ({ data: connection([ticketNode(1)]) }), sessions.agent);
    expect(await screen.findByTestId('ticket-row-INC-2026-0001')).toBeInTheDocument();
  });

  it('shows loading, empty and error states', async () => {
    setupAdmin(() => 'pending');
    expect(await screen.findByTestId('loading')).toBeInTheDocument();
  });

  it('shows an empty state', async () => {
    setupAdmin(() => ({ data: connection([]) }));
    expect(await screen.findByTestId('empty')).toHaveTextContent('No tickets yet.');
  });

  it('shows an error state', async () => {
    setupAdmin(() => gqlError('FORBIDDEN'));
    expect(await screen.findByRole('alert')).toHaveTextContent('You are not allowed to do that.');
  });

  it('puts a ticket created anywhere at the top at once, highlighted', async () => {
    const { feed } = setupAdmin(() => ({ data: connection([ticketNode(2), ticketNode(1)]) }));
    await screen.findByTestId('ticket-row-INC-2026-0002');
    expect(screen.getByTestId('ticket-row-INC-2026-0002')).not.toHaveAttribute('data-live-new');

    act(() => feed.next({ data: { ticketCreated: ticketNode(3, { requester: { id: '2', username: 'jane.smith', displayName: 'Jane Smith' } }) } }));
    const row = await screen.findByTestId('ticket-row-INC-2026-0003');
    expect(row).toHaveAttribute('data-live-new', 'true');
    expect(row).toHaveClass('live-new');
    const rows = within(screen.getByTestId('admin-tickets-table')).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-ticket-number'))).toEqual(['INC-2026-0003', 'INC-2026-0002', 'INC-2026-0001']);
    expect(await screen.findByTestId('toast')).toHaveTextContent('New ticket INC-2026-0003 from Jane Smith');

    // The same ticket twice (e.g. after a resubscription) is listed once.
    act(() => feed.next({ data: { ticketCreated: ticketNode(3) } }));
    expect(screen.getAllByTestId('ticket-row-INC-2026-0003')).toHaveLength(1);
  });

  it('keeps a live ticket out of a list it does not match', async () => {
    const user = userEvent.setup();
    const { feed, calls } = setupAdmin(() => ({ data: connection([]) }));
    await screen.findByTestId('empty');
    await user.selectOptions(screen.getByLabelText('Status'), 'RESOLVED');
    await waitFor(() =>
      expect(calls.filter((c) => c.name === 'AdminTickets').at(-1)?.variables.filter).toEqual({ status: 'RESOLVED' }),
    );
    act(() => feed.next({ data: { ticketCreated: ticketNode(5) } }));
    expect(screen.queryByTestId('ticket-row-INC-2026-0005')).not.toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText('Status'), '');
    expect(await screen.findByTestId('ticket-row-INC-2026-0005')).toHaveAttribute('data-live-new', 'true');
  });

  it('filters by status and type and searches an exact number', async () => {
    const user = userEvent.setup();
    const { calls } = setupAdmin(() => ({ data: connection([ticketNode(1)]) }));
    await screen.findByTestId('ticket-row-INC-2026-0001');
    await user.selectOptions(screen.getByLabelText('Type'), 'HARDWARE');
    await user.selectOptions(screen.getByLabelText('Status'), 'ON_HOLD');
    await user.type(screen.getByLabelText('Ticket number'), ' inc-2026-0001 ');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() =>
      expect(calls.filter((c) => c.name === 'AdminTickets').at(-1)?.variables).toEqual({
        filter: { status: 'ON_HOLD', requestType: 'HARDWARE', number: 'INC-2026-0001' },
        first: 20,
        after: null,
      }),
    );
    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(() => expect(calls.filter((c) => c.name === 'AdminTickets').at(-1)?.variables.filter).toEqual({}));
  });

  it('pages with pageInfo.endCursor', async () => {
    const user = userEvent.setup();
    const { calls } = setupAdmin((v) =>
      v.after == null
        ? { data: connection([ticketNode(3), ticketNode(2)], true, 'cur-2') }
        : { data: connection([ticketNode(1)], false, 'cur-1') },
    );
    await screen.findByTestId('ticket-row-INC-2026-0003');
    await user.click(screen.getByTestId('load-more'));
    expect(await screen.findByTestId('ticket-row-INC-2026-0001')).toBeInTheDocument();
    expect(calls.filter((c) => c.name === 'AdminTickets').map((c) => c.variables.after)).toEqual([null, 'cur-2']);
    expect(screen.queryByTestId('load-more')).not.toBeInTheDocument();
  });

  it('shows "Reconnecting…" while the WebSocket is down, and catches up after', async () => {
    let page = [ticketNode(1)];
    const { live } = setupAdmin(() => ({ data: connection(page) }));
    await screen.findByTestId('ticket-row-INC-2026-0001');
    act(() => live.set('connected'));
    expect(screen.getByTestId('live-status')).toHaveTextContent('Live');
    act(() => live.set('reconnecting'));
    expect(screen.getByTestId('live-status')).toHaveTextContent('Reconnecting…');
    expect(screen.getByTestId('live-status')).toHaveAttribute('data-state', 'reconnecting');

    // Created while the socket was down: fetched again on reconnection, flagged as new.
    page = [ticketNode(2), ticketNode(1)];
    act(() => live.set('connected'));
    expect(await screen.findByTestId('ticket-row-INC-2026-0002')).toHaveAttribute('data-live-new', 'true');
    expect(screen.getByTestId('ticket-row-INC-2026-0001')).not.toHaveAttribute('data-live-new');
  });

  it('says so when the live feed is refused', async () => {
    const { feed } = setupAdmin(() => ({ data: connection([]) }));
    await screen.findByTestId('empty');
    act(() => feed.next({ error: { code: 'FORBIDDEN', message: 'no' } }));
    expect(await screen.findByText('The live feed is unavailable')).toBeInTheDocument();
  });
});
