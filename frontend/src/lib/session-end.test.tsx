import { render, screen, waitFor } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { routes } from '@/app/router';
import { ToastProvider } from '@/components/ui/toast';
import { sessions } from '@/test/render';
import { AuthProvider } from './auth';
import { GraphqlProvider } from './graphql-provider';

afterEach(() => vi.unstubAllGlobals());

describe('an UNAUTHENTICATED answer (token expired, user deactivated)', () => {
  it('ends the session and returns to the login page with a notice', async () => {
    const fetch = vi.fn(
        async (_url: string, _init?: RequestInit) =>
          new Response(
            JSON.stringify({ data: null, errors: [{ message: 'token refused', extensions: { code: 'UNAUTHENTICATED' } }] }),
            { headers: { 'content-type': 'application/json' } },
          ),
      );
    vi.stubGlobal('fetch', fetch);
    const router = createMemoryRouter(routes, { initialEntries: ['/tickets/INC-2026-0001'] });
    render(
      <AuthProvider initialSession={sessions.john}>
        <GraphqlProvider>
          <ToastProvider>
            <RouterProvider router={router} />
          </ToastProvider>
        </GraphqlProvider>
      </AuthProvider>,
    );
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(await screen.findByText('Your session has ended. Please log in again.')).toBeInTheDocument();
    // The stale cookie is cleared too.
    expect(fetch.mock.calls.some(([url, init]) => url === '/api/session' && init?.method === 'DELETE')).toBe(true);
  });
});
