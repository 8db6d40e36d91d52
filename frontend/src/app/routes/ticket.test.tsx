import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { gqlError } from '@/test/mock-client';
import { attachmentLimits, renderApp, sessions } from '@/test/render';

const XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">';

const ticket = {
  id: '1',
  number: 'INC-2026-0001',
  status: 'IN_PROGRESS',
  statusLabel: 'In progress',
  requestType: 'SOFTWARE_INSTALL',
  description: XSS,
  priority: 'MEDIUM',
  createdAt: '2026-11-20T10:00:00Z',
  updatedAt: '2026-11-20T11:00:00Z',
  software: { id: '1', label: 'Autodesk AutoCAD 2025' },
  requester: { id: '1', username: 'john.doe', displayName: 'John Doe' },
  assignee: null,
  history: [
    { id: 'h1', status: 'START', statusLabel: 'Start', notes: 'Ticket created', at: '2026-11-20T10:00:00Z', actor: null },
    {
      id: 'h2',
      status: 'IN_PROGRESS',
      statusLabel: 'In progress',
      notes: '<b>on it</b>',
      at: '2026-11-20T11:00:00Z',
      actor: { id: '3', username: 'admin.user', displayName: 'Admin User' },
    },
  ],
  version: 2,
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
};

describe('/tickets/:number', () => {
  it('shows the details and history, rendering user text as text', async () => {
    const { container, calls } = renderApp({
      path: '/tickets/INC-2026-0001',
      session: sessions.john,
      handlers: { TicketDetails: () => ({ data: { ticket, limits: attachmentLimits } }) },
    });
    expect(await screen.findByTestId('ticket-description')).toHaveTextContent(XSS);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('main script')).toBeNull();
    expect(screen.getByTestId('ticket-number')).toHaveTextContent('INC-2026-0001');
    const history = screen.getByTestId('ticket-history');
    expect(history).toHaveTextContent('Start');
    expect(history).toHaveTextContent('Ticket created');
    expect(history).toHaveTextContent('<b>on it</b>');
    expect(history).toHaveTextContent('by Admin User');
    expect(calls[0]?.variables).toEqual({ number: 'INC-2026-0001' });
  });

  it('lists the ticket’s devices with health badges linking to their pages', async () => {
    const withDevices = {
      ...ticket,
      assets: [{ id: '5', tag: 'PC-000005', name: 'laptop', health: 'DOWN', healthReason: 'no heartbeat' }],
    };
    renderApp({
      path: '/tickets/INC-2026-0001',
      session: sessions.john,
      handlers: { TicketDetails: () => ({ data: { ticket: withDevices, limits: attachmentLimits } }) },
    });
    const device = await screen.findByTestId('ticket-device-PC-000005');
    expect(device.querySelector('a')).toHaveAttribute('href', '/assets/PC-000005');
    expect(device.querySelector('[data-health="DOWN"]')).toHaveAttribute('title', 'no heartbeat');
  });

  it('says "not found" for a ticket that is missing or not yours (null)', async () => {
    renderApp({
      path: '/tickets/INC-2026-0042',
      session: sessions.john,
      handlers: { TicketDetails: () => ({ data: { ticket: null } }) },
    });
    expect(await screen.findByTestId('not-found')).toHaveTextContent('Ticket not found');
  });

  it('says "not found" on a FORBIDDEN or NOT_FOUND error too', async () => {
    renderApp({
      path: '/tickets/INC-2026-0042',
      session: sessions.john,
      handlers: { TicketDetails: () => gqlError('FORBIDDEN') },
    });
    expect(await screen.findByTestId('not-found')).toBeInTheDocument();
  });

  it('shows loading, then an error state on other failures', async () => {
    renderApp({
      path: '/tickets/INC-2026-0001',
      session: sessions.john,
      handlers: { TicketDetails: () => 'pending' },
    });
    expect(await screen.findByTestId('loading')).toBeInTheDocument();
  });

  it('shows an error with a retry when the server fails', async () => {
    renderApp({
      path: '/tickets/INC-2026-0001',
      session: sessions.john,
      handlers: { TicketDetails: () => gqlError('UNAVAILABLE') },
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(/Could not load the ticket/);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
