import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { gqlError, liveSource, type Handler } from '@/test/mock-client';
import { renderApp, sessions } from '@/test/render';

const person = { id: '1', username: 'john.doe', displayName: 'John Doe' };

function assetRow(n: number, over: Record<string, unknown> = {}) {
  return {
    id: String(n),
    tag: `PC-00000${n}`,
    name: `laptop-${n}`,
    kind: 'LAPTOP',
    status: 'IN_USE',
    health: 'UP',
    healthReason: null,
    lastSeenAt: '2026-12-01T10:00:00Z',
    owner: person,
    ...over,
  };
}

const assets = (nodes: ReturnType<typeof assetRow>[], hasNextPage = false): Handler => () => ({
  data: {
    assets: {
      edges: nodes.map((node) => ({ cursor: `c-${node.tag}`, node })),
      pageInfo: { hasNextPage, endCursor: hasNextPage ? 'c-last' : null },
    },
  },
});

function assetDetail(over: Record<string, unknown> = {}) {
  return {
    ...assetRow(1),
    hostname: 'laptop-1',
    serial: 'SN1',
    manufacturer: 'Lenovo',
    model: 'T14',
    os: 'Debian 12',
    location: 'Plant A',
    purchasedOn: '2025-01-02',
    warrantyUntil: '2028-01-02',
    inventory: {
      cpu: { model: 'Xeon', cores: 4 },
      memory_bytes: 8 * 1024 ** 3,
      disks: [{ mount: '/', device: 'sda', filesystem: 'ext4', total_bytes: 256 * 1024 ** 3 }],
      interfaces: [{ name: 'eth0', mac: 'aa:bb', addresses: ['10.0.0.2/24'] }],
      software: [
        { name: 'bash', version: '5.2' },
        { name: 'vim', version: '9' },
      ],
    },
    samples: [{ at: '2026-12-01T10:00:00Z', cpuPercent: 12.34, memoryPercent: 50, diskPercent: 70 }],
    tickets: [{ id: '7', number: 'INC-2026-0007', subject: 'Slow', status: 'START', statusLabel: 'Start' }],
    history: [{ change: 'created', at: '2026-12-01T09:00:00Z', agentId: null }],
    version: 3,
    ...over,
  };
}

describe('/assets', () => {
  it('lists devices with health badges and links, and filters by health', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/assets',
      session: sessions.admin,
      handlers: { Assets: assets([assetRow(1), assetRow(2, { health: 'DOWN', owner: null })]) },
    });
    const row = await screen.findByTestId('device-row-PC-000002');
    expect(within(row).getByRole('link', { name: 'PC-000002' })).toHaveAttribute('href', '/assets/PC-000002');
    expect(within(row).getByTestId('health-badge')).toHaveAttribute('data-health', 'DOWN');
    await user.selectOptions(screen.getByLabelText('Health'), 'DEGRADED');
    await waitFor(() =>
      expect(calls.filter((c) => c.name === 'Assets').at(-1)?.variables.filter).toEqual({ health: 'DEGRADED' }),
    );
  });

  it('offers the owner filter to staff only', async () => {
    renderApp({ path: '/assets', session: sessions.john, handlers: { Assets: assets([assetRow(1)]) } });
    await screen.findByTestId('device-row-PC-000001');
    expect(screen.queryByLabelText('Owner (username)')).not.toBeInTheDocument();
  });

  it('pages on with the end cursor', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/assets',
      session: sessions.admin,
      handlers: { Assets: assets([assetRow(1)], true) },
    });
    await user.click(await screen.findByTestId('load-more'));
    await waitFor(() => expect(calls.filter((c) => c.name === 'Assets').at(-1)?.variables.after).toBe('c-last'));
  });
});

describe('/assets/:tag', () => {
  it('says not found for an unknown or hidden tag', async () => {
    renderApp({ path: '/assets/PC-404', session: sessions.john, handlers: { AssetDetails: () => ({ data: { asset: null } }) } });
    expect(await screen.findByTestId('not-found')).toHaveTextContent('Device not found');
  });

  it('shows details, inventory, samples and tickets, without staff forms for a requester', async () => {
    renderApp({ path: '/assets/PC-000001', session: sessions.john, handlers: { AssetDetails: () => ({ data: { asset: assetDetail() } }) } });
    expect(await screen.findByTestId('asset-tag')).toHaveTextContent('PC-000001');
    expect(screen.getByText('Xeon (4 cores)')).toBeInTheDocument();
    expect(screen.getByText('Software (2)')).toBeInTheDocument();
    expect(within(screen.getByTestId('asset-samples')).getByText('12.3%')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'INC-2026-0007' })).toHaveAttribute('href', '/tickets/INC-2026-0007');
    expect(screen.queryByTestId('asset-edit-form')).not.toBeInTheDocument();
    expect(screen.queryByText('Merge into…')).not.toBeInTheDocument();
  });

  it('lets staff edit with the version, and shows a conflict with its code', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/assets/PC-000001',
      session: sessions.agent,
      handlers: {
        AssetDetails: () => ({ data: { asset: assetDetail() } }),
        UpdateAsset: () => gqlError('CONFLICT'),
      },
    });
    const owner = await screen.findByLabelText('Owner (username)');
    await user.clear(owner);
    await user.type(owner, 'jane.smith');
    await user.click(screen.getByTestId('asset-save'));
    expect(await screen.findByTestId('asset-edit-error')).toHaveTextContent('(CONFLICT)');
    const sent = calls.find((c) => c.name === 'UpdateAsset')?.variables;
    expect(sent).toEqual({ tag: 'PC-000001', version: 3, input: { owner: 'jane.smith' } });
    expect(screen.queryByText('Merge into…')).not.toBeInTheDocument();
  });

  it('lets staff link the device to a ticket', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/assets/PC-000001',
      session: sessions.agent,
      handlers: {
        AssetDetails: () => ({ data: { asset: assetDetail() } }),
        LinkAsset: () => gqlError('NOT_FOUND'),
      },
    });
    await user.type(await screen.findByLabelText('Ticket number'), 'inc-2026-0042');
    await user.click(screen.getByTestId('link-ticket-submit'));
    expect(await screen.findByTestId('link-ticket-error')).toHaveTextContent('Not found. (NOT_FOUND)');
    expect(calls.find((c) => c.name === 'LinkAsset')?.variables).toEqual({ number: 'INC-2026-0042', tag: 'PC-000001' });
  });

  it('lets admins merge, after a confirm step', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/assets/PC-000001',
      session: sessions.admin,
      handlers: {
        AssetDetails: () => ({ data: { asset: assetDetail() } }),
        MergeAssets: () => ({ data: { mergeAssets: { id: '2', tag: 'PC-000002' } } }),
      },
    });
    await user.type(await screen.findByLabelText('Tag of the device to keep'), 'PC-000002');
    await user.click(screen.getByTestId('merge-submit'));
    expect(calls.some((c) => c.name === 'MergeAssets')).toBe(false);
    await user.click(screen.getByTestId('merge-submit'));
    await waitFor(() =>
      expect(calls.find((c) => c.name === 'MergeAssets')?.variables).toEqual({ keep: 'PC-000002', absorb: 'PC-000001' }),
    );
  });
});

describe('/admin/enrolment', () => {
  const tokens: Handler = () => ({
    data: {
      enrollmentTokens: [
        { id: 't1', createdAt: '2026-12-01T10:00:00Z', expiresAt: '2999-01-01T00:00:00Z', usedAt: null, revokedAt: null },
        { id: 't2', createdAt: '2026-12-01T10:00:00Z', expiresAt: '2999-01-01T00:00:00Z', usedAt: '2026-12-01T11:00:00Z', revokedAt: null },
      ],
    },
  });

  it('creates a token with the chosen lifetime and shows the enrol command once', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/admin/enrolment',
      session: sessions.admin,
      handlers: {
        EnrollmentTokens: tokens,
        CreateEnrollmentToken: () => ({ data: { createEnrollmentToken: { id: 't3', token: 'secret-tok', expiresAt: '2999-01-01T00:00:00Z' } } }),
      },
    });
    expect(await screen.findByTestId('token-row-t2')).toHaveAttribute('data-state', 'used');
    await user.selectOptions(screen.getByLabelText('Valid for'), '7d');
    await user.click(screen.getByTestId('token-create'));
    expect(await screen.findByTestId('token-command')).toHaveTextContent(
      `itosm-agent enroll --server ${window.location.origin} --token secret-tok`,
    );
    expect(calls.find((c) => c.name === 'CreateEnrollmentToken')?.variables).toEqual({ expiresIn: '7d' });
  });

  it('revokes a usable token', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/admin/enrolment',
      session: sessions.admin,
      handlers: { EnrollmentTokens: tokens, RevokeEnrollmentToken: () => gqlError('FORBIDDEN') },
    });
    const row = await screen.findByTestId('token-row-t1');
    expect(within(screen.getByTestId('token-row-t2')).queryByRole('button')).not.toBeInTheDocument();
    await user.click(within(row).getByRole('button', { name: /revoke/i }));
    expect(await screen.findByText(/not allowed.*\(FORBIDDEN\)/)).toBeInTheDocument();
    expect(calls.find((c) => c.name === 'RevokeEnrollmentToken')?.variables).toEqual({ id: 't1' });
  });

  it('is not for agents', async () => {
    renderApp({ path: '/admin/enrolment', session: sessions.agent });
    expect(await screen.findByText(/not allowed/i)).toBeInTheDocument();
  });
});

describe('fleet health on the dashboard', () => {
  it('counts devices by health and lists live changes', async () => {
    const feed = liveSource();
    renderApp({
      path: '/admin',
      session: sessions.admin,
      handlers: {
        FleetHealth: () => ({
          data: {
            assets: {
              edges: [
                { node: { id: '1', tag: 'PC-1', health: 'UP' } },
                { node: { id: '2', tag: 'PC-2', health: 'DOWN' } },
                { node: { id: '3', tag: 'PC-3', health: 'UP' } },
              ],
              pageInfo: { hasNextPage: false },
            },
          },
        }),
        AssetHealthChanged: () => ({ source: feed.source }),
      },
    });
    await waitFor(() => expect(screen.getByTestId('fleet-count-UP')).toHaveTextContent('2'));
    expect(screen.getByTestId('fleet-count-DOWN')).toHaveTextContent('1');
    feed.next({
      data: { assetHealthChanged: { id: '1', tag: 'PC-1', name: 'laptop', health: 'DEGRADED', healthReason: 'disk / 97% used' } },
    });
    const list = await screen.findByTestId('fleet-changes');
    expect(list).toHaveTextContent('PC-1');
    expect(list).toHaveTextContent('disk / 97% used');
  });
});

describe('My devices on the request form', () => {
  it('sends the ticked devices as assetTags', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/new-request',
      session: sessions.john,
      handlers: {
        NewRequestData: () => ({
          data: {
            softwareCatalog: [],
            requestTypes: [{ type: 'HARDWARE', explanation: 'Hardware.' }],
            limits: { maxDescriptionChars: 200, maxAttachmentBytes: 1024, maxAttachments: 3 },
          },
        }),
        MyDevices: () => ({
          data: { assets: { edges: [{ node: { id: '1', tag: 'PC-000001', name: 'laptop', health: 'UP' } }] } },
        }),
        CreateTicket: () => ({
          data: {
            createTicket: {
              id: '9',
              number: 'INC-2026-0009',
              subject: 'Slow',
              status: 'START',
              statusLabel: 'Start',
              requestType: 'HARDWARE',
              createdAt: '2026-11-20T10:00:00Z',
            },
          },
        }),
      },
    });
    await user.selectOptions(await screen.findByLabelText('Request type'), 'HARDWARE');
    await user.click(await screen.findByLabelText('PC-000001 — laptop'));
    await user.type(screen.getByLabelText('Subject'), 'Slow');
    await user.type(screen.getByLabelText('Description'), 'It is slow.');
    await user.click(screen.getByRole('button', { name: 'Submit request' }));
    await screen.findByTestId('created-ticket-number');
    expect(calls.find((c) => c.name === 'CreateTicket')?.variables.input).toMatchObject({ assetTags: ['PC-000001'] });
  });
});
