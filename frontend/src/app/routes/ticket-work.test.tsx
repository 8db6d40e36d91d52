import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Session } from '@/lib/session';
import { gqlError, liveSource, type Handler } from '@/test/mock-client';
import { attachmentLimits, renderApp, sessions } from '@/test/render';

const john = { id: '1', username: 'john.doe', displayName: 'John Doe' };
const admin = { id: '3', username: 'admin.user', displayName: 'Admin User' };
const agent = { id: '4', username: 'agent.a', displayName: 'Agent A' };

function ticket(over: Record<string, unknown> = {}) {
  return {
    id: '1',
    number: 'INC-2026-0001',
    status: 'START',
    statusLabel: 'Start',
    requestType: 'HARDWARE',
    description: 'A new laptop, please.',
    priority: 'MEDIUM',
    createdAt: '2026-11-20T10:00:00Z',
    updatedAt: '2026-11-20T10:00:00Z',
    version: 3,
    software: null,
    requester: john,
    assignee: null,
    history: [{ id: 'h1', status: 'START', statusLabel: 'Start', notes: 'Ticket created', at: '2026-11-20T10:00:00Z', actor: john }],
    comments: [],
    attachments: [],
    allowedStatuses: [],
    canAssign: false,
    firstResponseDueAt: null,
    resolutionDueAt: null,
    firstRespondedAt: null,
    resolvedAt: null,
    firstResponseBreached: false,
    resolutionBreached: false,
    breached: false,
    ...over,
  };
}

function setup(t: () => ReturnType<typeof ticket>, session: Session, handlers: Record<string, Handler> = {}) {
  const feed = liveSource();
  const r = renderApp({
    path: '/tickets/INC-2026-0001',
    session,
    handlers: {
      TicketDetails: () => ({ data: { ticket: t(), limits: attachmentLimits } }),
      TicketUpdated: () => ({ source: feed.source }),
      AssignableAgents: () => ({ data: { assignableAgents: [admin, agent] } }),
      ...handlers,
    },
  });
  const detailsCalls = () => r.calls.filter((c) => c.name === 'TicketDetails').length;
  return { ...r, feed, detailsCalls };
}

const staffTicket = (over: Record<string, unknown> = {}) =>
  ticket({ canAssign: true, allowedStatuses: ['IN_PROGRESS', 'ON_HOLD', 'RESOLVED', 'CANCELLED'], ...over });

describe('ticket page: status', () => {
  it('offers a requester only the moves allowedStatuses lists', async () => {
    setup(() => ticket({ allowedStatuses: ['CANCELLED'] }), sessions.john);
    const actions = await screen.findByTestId('status-actions');
    const buttons = within(actions).getAllByRole('button');
    expect(buttons.map((b) => b.getAttribute('data-testid'))).toEqual(['status-CANCELLED']);
    expect(buttons[0]).toHaveTextContent('Cancel request');
    expect(screen.queryByTestId('assignee-select')).not.toBeInTheDocument();
    expect(screen.queryByTestId('priority-select')).not.toBeInTheDocument();
    expect(screen.getByTestId('ticket-status')).toHaveTextContent('Start');
  });

  it('offers a resolved ticket to be reopened', async () => {
    setup(() => ticket({ status: 'RESOLVED', statusLabel: 'Resolved', allowedStatuses: ['IN_PROGRESS'] }), sessions.john);
    expect(await screen.findByTestId('status-IN_PROGRESS')).toHaveTextContent('Reopen');
  });

  it('shows no status controls when no move is allowed', async () => {
    setup(() => ticket(), sessions.john);
    await screen.findByTestId('ticket-details');
    expect(screen.queryByTestId('status-actions')).not.toBeInTheDocument();
  });

  it('sends the move with the note and the version shown, then reloads', async () => {
    const user = userEvent.setup();
    let current = staffTicket();
    const { calls, detailsCalls } = setup(() => current, sessions.admin, {
      ChangeStatus: () => {
        current = staffTicket({ status: 'IN_PROGRESS', statusLabel: 'In progress', version: 4 });
        return { data: { changeStatus: { id: '1', number: 'INC-2026-0001', status: 'IN_PROGRESS', statusLabel: 'In progress', version: 4 } } };
      },
    });
    const buttons = within(await screen.findByTestId('status-actions')).getAllByRole('button');
    expect(buttons.map((b) => b.getAttribute('data-testid'))).toEqual([
      'status-IN_PROGRESS',
      'status-ON_HOLD',
      'status-RESOLVED',
      'status-CANCELLED',
    ]);
    const before = detailsCalls();
    await user.type(screen.getByTestId('status-note'), 'Looking into it');
    await user.click(screen.getByTestId('status-IN_PROGRESS'));
    await waitFor(() => expect(screen.getByTestId('ticket-status')).toHaveTextContent('In progress'));
    expect(calls.find((c) => c.name === 'ChangeStatus')?.variables).toEqual({
      number: 'INC-2026-0001',
      status: 'IN_PROGRESS',
      note: 'Looking into it',
      version: 3,
    });
    expect(detailsCalls()).toBeGreaterThan(before);
    expect(screen.getByTestId('status-note')).toHaveValue('');
  });

  it('sends no note when none was written', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => ticket({ allowedStatuses: ['CANCELLED'] }), sessions.john, {
      ChangeStatus: () => ({ data: { changeStatus: { id: '1', number: 'INC-2026-0001', status: 'CANCELLED', statusLabel: 'Cancelled', version: 4 } } }),
    });
    await user.click(await screen.findByTestId('status-CANCELLED'));
    await waitFor(() => expect(calls.find((c) => c.name === 'ChangeStatus')?.variables.note).toBeNull());
  });

  it('says the ticket changed on CONFLICT, reloads it, and the retry carries the new version', async () => {
    const user = userEvent.setup();
    let current = staffTicket();
    const { calls, detailsCalls } = setup(() => current, sessions.admin, {
      ChangeStatus: (v) => {
        if (v.version === 3) {
          current = staffTicket({ version: 5, priority: 'HIGH' });
          return gqlError('CONFLICT', 'stale version');
        }
        return { data: { changeStatus: { id: '1', number: 'INC-2026-0001', status: 'RESOLVED', statusLabel: 'Resolved', version: 6 } } };
      },
    });
    await screen.findByTestId('status-RESOLVED');
    const before = detailsCalls();
    await user.click(screen.getByTestId('status-RESOLVED'));
    const alert = await screen.findByTestId('action-error');
    expect(alert).toHaveTextContent('This ticket changed since you loaded it — reloaded, try again');
    expect(alert).toHaveAttribute('data-conflict', 'true');
    await waitFor(() => expect(screen.getByTestId('ticket-priority')).toHaveTextContent('High'));
    expect(detailsCalls()).toBe(before + 1);

    await user.click(screen.getByTestId('status-RESOLVED'));
    await waitFor(() =>
      expect(calls.filter((c) => c.name === 'ChangeStatus').map((c) => c.variables.version)).toEqual([3, 5]),
    );
    await waitFor(() => expect(screen.queryByTestId('action-error')).not.toBeInTheDocument());
  });

  it('shows other failures plainly', async () => {
    const user = userEvent.setup();
    setup(() => ticket({ allowedStatuses: ['CANCELLED'] }), sessions.john, {
      ChangeStatus: () => gqlError('FORBIDDEN'),
    });
    await user.click(await screen.findByTestId('status-CANCELLED'));
    expect(await screen.findByTestId('action-error')).toHaveTextContent('You are not allowed to do that.');
  });
});

describe('ticket page: assignment and priority (staff)', () => {
  it('assigns from the list of agents, unassigns, and assigns to me', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => staffTicket(), sessions.admin, {
      AssignTicket: (v) => ({
        data: {
          assignTicket: {
            id: '1',
            number: 'INC-2026-0001',
            version: 4,
            assignee: [admin, agent].find((a) => a.id === v.assigneeId) ?? null,
          },
        },
      }),
    });
    const select = await screen.findByTestId('assignee-select');
    await waitFor(() => expect(within(select).getAllByRole('option')).toHaveLength(3));
    expect(within(select).getAllByRole('option').map((o) => o.textContent)).toEqual([
      'Unassigned',
      'Admin User (admin.user)',
      'Agent A (agent.a)',
    ]);
    await user.selectOptions(select, '4');
    await waitFor(() =>
      expect(calls.filter((c) => c.name === 'AssignTicket').at(-1)?.variables).toEqual({
        number: 'INC-2026-0001',
        assigneeId: '4',
        version: 3,
      }),
    );
    await user.click(screen.getByTestId('assign-to-me'));
    await waitFor(() => expect(calls.filter((c) => c.name === 'AssignTicket').at(-1)?.variables.assigneeId).toBe('3'));
    expect(await screen.findAllByTestId('toast')).not.toHaveLength(0);
  });

  it('sends null to unassign, and disables "Assign to me" when it is mine', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => staffTicket({ assignee: admin }), sessions.admin, {
      AssignTicket: () => ({ data: { assignTicket: { id: '1', number: 'INC-2026-0001', version: 4, assignee: null } } }),
    });
    expect(await screen.findByTestId('ticket-assignee')).toHaveTextContent('Admin User (admin.user)');
    expect(screen.getByTestId('assign-to-me')).toBeDisabled();
    await user.selectOptions(screen.getByTestId('assignee-select'), '');
    await waitFor(() => expect(calls.find((c) => c.name === 'AssignTicket')?.variables.assigneeId).toBeNull());
  });

  it('changes the priority with the version shown', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => staffTicket(), sessions.agent, {
      ChangePriority: () => ({ data: { changePriority: { id: '1', number: 'INC-2026-0001', version: 4, priority: 'CRITICAL' } } }),
    });
    await user.selectOptions(await screen.findByTestId('priority-select'), 'CRITICAL');
    await waitFor(() =>
      expect(calls.find((c) => c.name === 'ChangePriority')?.variables).toEqual({
        number: 'INC-2026-0001',
        priority: 'CRITICAL',
        version: 3,
      }),
    );
  });

  it('puts the priority back and says so on CONFLICT', async () => {
    const user = userEvent.setup();
    setup(() => staffTicket(), sessions.agent, { ChangePriority: () => gqlError('CONFLICT') });
    await user.selectOptions(await screen.findByTestId('priority-select'), 'LOW');
    expect(await screen.findByTestId('action-error')).toHaveTextContent(/changed since you loaded it/);
    expect(screen.getByTestId('priority-select')).toHaveValue('MEDIUM');
  });
});

describe('ticket page: comments and timeline', () => {
  it('lets a requester comment, without an internal option', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => ticket(), sessions.john, {
      AddComment: (v) => ({
        data: { addComment: { id: 'c9', body: v.body, internal: false, createdAt: '2026-11-20T12:00:00Z', author: john } },
      }),
    });
    await screen.findByTestId('comment-body');
    expect(screen.queryByTestId('comment-internal')).not.toBeInTheDocument();
    await user.type(screen.getByTestId('comment-body'), 'Any news?');
    await user.click(screen.getByTestId('comment-submit'));
    await waitFor(() =>
      expect(calls.find((c) => c.name === 'AddComment')?.variables).toEqual({
        number: 'INC-2026-0001',
        body: 'Any news?',
        internal: false,
      }),
    );
    await waitFor(() => expect(screen.getByTestId('comment-body')).toHaveValue(''));
  });

  it('lets staff post an internal note', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => staffTicket(), sessions.agent, {
      AddComment: (v) => ({
        data: { addComment: { id: 'c9', body: v.body, internal: true, createdAt: '2026-11-20T12:00:00Z', author: agent } },
      }),
    });
    await user.type(await screen.findByTestId('comment-body'), 'Check the warranty first');
    await user.click(screen.getByTestId('comment-internal'));
    expect(screen.getByLabelText('Internal note (staff only)')).toBeChecked();
    await user.click(screen.getByTestId('comment-submit'));
    await waitFor(() => expect(calls.find((c) => c.name === 'AddComment')?.variables.internal).toBe(true));
  });

  it('does not send an empty comment', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => ticket(), sessions.john);
    await user.click(await screen.findByTestId('comment-submit'));
    expect(await screen.findByTestId('comment-error')).toHaveTextContent('Write something first.');
    expect(calls.some((c) => c.name === 'AddComment')).toBe(false);
  });

  it('merges history and comments oldest first, marking internal notes', async () => {
    setup(
      () =>
        staffTicket({
          history: [
            { id: 'h1', status: 'START', statusLabel: 'Start', notes: 'Ticket created', at: '2026-11-20T10:00:00Z', actor: john },
            { id: 'h2', status: 'IN_PROGRESS', statusLabel: 'In progress', notes: 'On it', at: '2026-11-20T12:00:00Z', actor: admin },
          ],
          comments: [
            { id: 'c1', body: 'Which model?', internal: false, createdAt: '2026-11-20T11:00:00Z', author: admin },
            { id: 'c2', body: 'Order from stock', internal: true, createdAt: '2026-11-20T13:00:00Z', author: agent },
          ],
        }),
      sessions.admin,
    );
    const timeline = await screen.findByTestId('timeline');
    const items = within(timeline).getAllByTestId('timeline-item');
    expect(items.map((i) => i.getAttribute('data-kind'))).toEqual(['status', 'comment', 'status', 'comment']);
    expect(items[0]).toHaveTextContent('Ticket created');
    expect(items[1]).toHaveTextContent('Admin User');
    expect(items[1]).toHaveTextContent('Which model?');
    expect(within(items[1]!).queryByTestId('internal-badge')).not.toBeInTheDocument();
    expect(items[2]).toHaveTextContent('On it');
    expect(items[2]).toHaveTextContent('by Admin User');
    expect(items[3]).toHaveAttribute('data-internal', 'true');
    expect(within(items[3]!).getByTestId('internal-badge')).toHaveTextContent('Internal');
    expect(items[3]).toHaveTextContent('Agent A');
  });

  it('renders HTML in a comment as literal text', async () => {
    const html = '<img src=x onerror="window.__xss=3"><script>window.__xss=4</script>';
    const { container } = setup(
      () => ticket({ comments: [{ id: 'c1', body: html, internal: false, createdAt: '2026-11-20T11:00:00Z', author: john }] }),
      sessions.john,
    );
    const items = await screen.findAllByTestId('timeline-item');
    expect(items[1]).toHaveTextContent(html);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('main script')).toBeNull();
    expect((window as { __xss?: unknown }).__xss).toBeUndefined();
  });
});

describe('ticket page: SLA', () => {
  it('shows a red "SLA breached" badge and both due times', async () => {
    setup(
      () =>
        ticket({
          firstResponseDueAt: '2026-11-20T11:00:00Z',
          resolutionDueAt: '2026-11-21T10:00:00Z',
          firstResponseBreached: true,
          breached: true,
        }),
      sessions.john,
    );
    const badge = await screen.findByTestId('sla-badge');
    expect(badge).toHaveTextContent('SLA breached');
    expect(badge).toHaveAttribute('data-state', 'breached');
    expect(badge).toHaveClass('sla-breached');
    expect(screen.getByTestId('sla-first-response-due')).toHaveTextContent(/missed/);
    expect(screen.getByTestId('sla-resolution-due')).toBeInTheDocument();
  });

  it('says when the next target is due', async () => {
    const soon = new Date(Date.now() + 2 * 3600_000 + 30 * 60_000).toISOString();
    setup(() => ticket({ firstResponseDueAt: soon, resolutionDueAt: soon }), sessions.john);
    expect(await screen.findByTestId('sla-badge')).toHaveTextContent(/^Response due in 2h (29|30)m$/);
  });

  it('shows nothing without due times', async () => {
    setup(() => ticket(), sessions.john);
    await screen.findByTestId('ticket-details');
    expect(screen.queryByTestId('sla-badge')).not.toBeInTheDocument();
    expect(screen.queryByTestId('sla-details')).not.toBeInTheDocument();
  });
});

describe('ticket page: live', () => {
  it('reloads when the ticket changes elsewhere, and shows the live state', async () => {
    let current = ticket({ allowedStatuses: ['CANCELLED'] });
    const { feed, live, calls } = setup(() => current, sessions.john);
    await screen.findByTestId('ticket-details');
    await waitFor(() => expect(calls.some((c) => c.name === 'TicketUpdated')).toBe(true));
    expect(calls.find((c) => c.name === 'TicketUpdated')?.variables).toEqual({ number: 'INC-2026-0001' });
    act(() => live.set('connected'));
    expect(screen.getByTestId('live-indicator')).toHaveAttribute('data-state', 'connected');
    expect(screen.getByTestId('live-indicator')).toHaveTextContent('Live');

    // Typed text survives the reload.
    await userEvent.type(screen.getByTestId('comment-body'), 'half-written');
    current = ticket({
      status: 'IN_PROGRESS',
      statusLabel: 'In progress',
      version: 4,
      assignee: admin,
      comments: [{ id: 'c1', body: 'On my way', internal: false, createdAt: '2026-11-20T11:00:00Z', author: admin }],
    });
    act(() =>
      feed.next({ data: { ticketUpdated: { id: '1', number: 'INC-2026-0001', version: 4, updatedAt: '2026-11-20T11:00:00Z' } } }),
    );
    await waitFor(() => expect(screen.getByTestId('ticket-status')).toHaveTextContent('In progress'));
    expect(screen.getByTestId('ticket-assignee')).toHaveTextContent('Admin User');
    expect(screen.getByTestId('timeline')).toHaveTextContent('On my way');
    expect(screen.queryByTestId('status-actions')).not.toBeInTheDocument();
    expect(screen.getByTestId('comment-body')).toHaveValue('half-written');
  });

  it('catches up when the live feed reconnects', async () => {
    const { live, detailsCalls } = setup(() => ticket(), sessions.john);
    await screen.findByTestId('ticket-details');
    const before = detailsCalls();
    act(() => live.set('connected'));
    await waitFor(() => expect(detailsCalls()).toBe(before + 1));
    act(() => live.set('reconnecting'));
    expect(screen.getByTestId('live-indicator')).toHaveTextContent('Reconnecting…');
    act(() => live.set('connected'));
    await waitFor(() => expect(detailsCalls()).toBe(before + 2));
  });
});
