import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { liveSource, type Handler } from '@/test/mock-client';
import { connection, renderApp, sessions, ticketNode } from '@/test/render';

function setup(list: Handler) {
  const created = liveSource();
  const updated = liveSource();
  const r = renderApp({
    path: '/admin',
    session: sessions.admin,
    handlers: {
      AdminTickets: list,
      TicketCreated: () => ({ source: created.source }),
      AdminTicketUpdates: () => ({ source: updated.source }),
    },
  });
  const lastVars = () => r.calls.filter((c) => c.name === 'AdminTickets').at(-1)?.variables;
  return { ...r, created, updated, lastVars };
}

const admin = { id: '3', username: 'admin.user', displayName: 'Admin User' };

describe('/admin filters, sort and columns', () => {
  it('filters "Assigned to me" and "Unassigned" (one at a time)', async () => {
    const user = userEvent.setup();
    const { lastVars } = setup(() => ({ data: connection([ticketNode(1)]) }));
    await screen.findByTestId('ticket-row-INC-2026-0001');
    await user.click(screen.getByTestId('filter-assigned-me'));
    await waitFor(() => expect(lastVars()?.filter).toEqual({ assignee: 'ME' }));
    await user.click(screen.getByTestId('filter-unassigned'));
    await waitFor(() => expect(lastVars()?.filter).toEqual({ assignee: 'NONE' }));
    expect(screen.getByTestId('filter-assigned-me')).not.toBeChecked();
    await user.click(screen.getByTestId('filter-unassigned'));
    await waitFor(() => expect(lastVars()?.filter).toEqual({}));
  });

  it('filters by priority and "SLA breached only"', async () => {
    const user = userEvent.setup();
    const { lastVars } = setup(() => ({ data: connection([ticketNode(1)]) }));
    await screen.findByTestId('ticket-row-INC-2026-0001');
    await user.selectOptions(screen.getByLabelText('Priority'), 'CRITICAL');
    await user.click(screen.getByTestId('filter-breached'));
    await waitFor(() => expect(lastVars()?.filter).toEqual({ priority: 'CRITICAL', breached: true }));
    await user.click(screen.getByRole('button', { name: 'Clear' }));
    await waitFor(() => expect(lastVars()?.filter).toEqual({}));
    expect(screen.getByTestId('filter-breached')).not.toBeChecked();
  });

  it('searches the text as typing pauses, trimmed', async () => {
    const user = userEvent.setup();
    const { lastVars, calls } = setup(() => ({ data: connection([ticketNode(1)]) }));
    await screen.findByTestId('ticket-row-INC-2026-0001');
    await user.type(screen.getByTestId('filter-search'), '  autocad ');
    await waitFor(() => expect(lastVars()?.filter).toEqual({ search: 'autocad' }));
    // One request for the whole word, not one per key.
    expect(calls.filter((c) => c.name === 'AdminTickets' && (c.variables.filter as { search?: string }).search)).toHaveLength(1);
    expect(screen.getByTestId('filter-search')).toHaveAttribute('maxLength', '100');
  });

  it('sends the sort, but not the default', async () => {
    const user = userEvent.setup();
    const { lastVars } = setup(() => ({ data: connection([ticketNode(1)]) }));
    await screen.findByTestId('ticket-row-INC-2026-0001');
    expect(lastVars()).toEqual({ filter: {}, first: 20, after: null });
    await user.selectOptions(screen.getByTestId('sort-select'), 'RESOLUTION_DUE');
    await waitFor(() => expect(lastVars()).toEqual({ filter: {}, first: 20, sort: 'RESOLUTION_DUE', after: null }));
    await user.selectOptions(screen.getByTestId('sort-select'), 'NEWEST');
    await waitFor(() => expect(lastVars()).toEqual({ filter: {}, first: 20, after: null }));
  });

  it('shows priority, assignee and SLA columns; rows carry data-number', async () => {
    setup(() => ({
      data: connection([
        ticketNode(2, { priority: 'CRITICAL', assignee: admin, firstResponseDueAt: '2026-11-20T11:00:00Z', breached: true, firstResponseBreached: true }),
        ticketNode(1),
      ]),
    }));
    await screen.findByTestId('ticket-row-INC-2026-0002');
    const rows = screen.getAllByTestId('ticket-row');
    expect(rows.map((r) => r.getAttribute('data-number'))).toEqual(['INC-2026-0002', 'INC-2026-0001']);
    expect(rows[0]).toHaveTextContent('Critical');
    expect(within(rows[0]!).getByTestId('row-assignee')).toHaveTextContent('Admin User');
    expect(within(rows[0]!).getByTestId('sla-badge')).toHaveTextContent('SLA breached');
    expect(rows[1]).toHaveTextContent('Medium');
    expect(within(rows[1]!).queryByTestId('sla-badge')).not.toBeInTheDocument();
  });

  it('updates a row in place when the ticket changes', async () => {
    const { updated } = setup(() => ({ data: connection([ticketNode(2), ticketNode(1)]) }));
    await screen.findByTestId('ticket-row-INC-2026-0001');
    act(() =>
      updated.next({
        data: {
          ticketUpdated: ticketNode(1, {
            status: 'IN_PROGRESS',
            statusLabel: 'In progress',
            priority: 'HIGH',
            assignee: admin,
            version: 2,
            updatedAt: '2026-11-20T12:00:00Z',
          }),
        },
      }),
    );
    const row = screen.getAllByTestId('ticket-row').find((r) => r.getAttribute('data-number') === 'INC-2026-0001')!;
    await waitFor(() => expect(row).toHaveTextContent('In progress'));
    expect(row).toHaveTextContent('High');
    expect(within(row).getByTestId('row-assignee')).toHaveTextContent('Admin User');
    expect(row).toHaveAttribute('data-live-updated', 'true');
    expect(screen.getAllByTestId('ticket-row').map((r) => r.getAttribute('data-number'))).toEqual([
      'INC-2026-0002',
      'INC-2026-0001',
    ]);

    // An older copy arriving late changes nothing.
    act(() => updated.next({ data: { ticketUpdated: ticketNode(1, { version: 1 }) } }));
    expect(row).toHaveTextContent('In progress');
  });

  it('keeps a live ticket out of the list when "Unassigned" is on and it has an assignee', async () => {
    const user = userEvent.setup();
    const { created } = setup(() => ({ data: connection([]) }));
    await screen.findByTestId('empty');
    await user.click(screen.getByTestId('filter-unassigned'));
    act(() => created.next({ data: { ticketCreated: ticketNode(7, { assignee: admin }) } }));
    act(() => created.next({ data: { ticketCreated: ticketNode(8) } }));
    expect(await screen.findByTestId('ticket-row-INC-2026-0008')).toHaveAttribute('data-live-new', 'true');
    expect(screen.queryByTestId('ticket-row-INC-2026-0007')).not.toBeInTheDocument();
  });
});
