import { render } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { routes } from '@/app/router';
import { ToastProvider } from '@/components/ui/toast';
import { AuthProvider } from '@/lib/auth';
import { createConnectionStatusStore } from '@/lib/connection-status';
import { StaticGraphqlProvider } from '@/lib/graphql-provider';
import type { Session } from '@/lib/session';
import { createMockClient, type Handler } from './mock-client';

export const sessions = {
  john: {
    user: { id: '1', username: 'john.doe', displayName: 'John Doe', role: 'REQUESTER' },
  },
  admin: {
    user: { id: '3', username: 'admin.user', displayName: 'Admin User', role: 'ADMIN' },
  },
  agent: {
    user: { id: '4', username: 'agent.a', displayName: 'Agent A', role: 'AGENT' },
  },
} satisfies Record<string, Session>;

/** The whole app (real routes, guards and hooks) at `path`, over a mock GraphQL client. */
export function renderApp({
  path,
  session = null,
  handlers = {},
}: {
  path: string;
  /** `'ask'`: nobody is given; the portal asks the daemon (`fetch`) as on a fresh page load. */
  session?: Session | null | 'ask';
  handlers?: Record<string, Handler>;
}) {
  const { client, calls } = createMockClient(handlers);
  const live = createConnectionStatusStore();
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const utils = render(
    <AuthProvider initialSession={session === 'ask' ? undefined : session}>
      <StaticGraphqlProvider client={client} live={live}>
        <ToastProvider>
          <RouterProvider router={router} />
        </ToastProvider>
      </StaticGraphqlProvider>
    </AuthProvider>,
  );
  return { ...utils, router, calls, live, client };
}

/** `limits` for the attachment pickers: 1 MB a file, 3 files. */
export const attachmentLimits = { maxAttachmentBytes: 1024 * 1024, maxAttachments: 3 };

export const software = [
  { id: '1', name: 'Autodesk AutoCAD', version: '2025', label: 'Autodesk AutoCAD 2025' },
  { id: '2', name: 'Autodesk Revit', version: '2025', label: 'Autodesk Revit 2025' },
  { id: '3', name: 'AVEVA E3D Design', version: '3.2', label: 'AVEVA E3D Design 3.2' },
  { id: '4', name: 'Leica Cyclone 3DR', version: '2024.1', label: 'Leica Cyclone 3DR 2024.1' },
];

const person = (id: string, username: string, displayName: string) => ({ id, username, displayName });

export function ticketNode(n: number, over: Record<string, unknown> = {}) {
  const number = `INC-2026-${String(n).padStart(4, '0')}`;
  return {
    id: String(n),
    number,
    subject: `Subject of request ${n}`,
    requestType: 'SOFTWARE_INSTALL',
    status: 'START',
    statusLabel: 'Start',
    createdAt: '2026-11-20T10:00:00Z',
    updatedAt: '2026-11-20T10:00:00Z',
    software: { id: '1', label: 'Autodesk AutoCAD 2025' },
    requester: person('1', 'john.doe', 'John Doe'),
    assignee: null,
    priority: 'MEDIUM',
    description: `Request ${n}`,
    version: 1,
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

export function connection(nodes: Array<{ number: string }>, hasNextPage = false, endCursor: string | null = null) {
  return {
    tickets: {
      edges: nodes.map((node) => ({ cursor: `c-${node.number}`, node })),
      pageInfo: { hasNextPage, endCursor },
    },
  };
}
