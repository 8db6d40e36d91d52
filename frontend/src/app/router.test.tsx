import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderApp, sessions } from '@/test/render';
import { sessionFetch } from '@/test/setup';

describe('routing and guards', () => {
  it('sends / to /login without a session', async () => {
    const { router } = renderApp({ path: '/' });
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
  });

  it('sends / to My Tickets for a requester and to the dashboard for an admin', async () => {
    const a = renderApp({ path: '/', session: sessions.john });
    await waitFor(() => expect(a.router.state.location.pathname).toBe('/my-tickets'));
    a.unmount();
    const b = renderApp({ path: '/', session: sessions.admin });
    await waitFor(() => expect(b.router.state.location.pathname).toBe('/admin'));
  });

  it('comes back to the page asked for after logging in', async () => {
    const { router } = renderApp({
      path: '/tickets/INC-2026-0001',
      handlers: {
        Login: () => ({
          data: {
            login: {
              token: 't',
              user: { id: '1', username: 'john.doe', displayName: 'John Doe', role: 'REQUESTER', mustChangePassword: false },
            },
          },
        }),
        TicketDetails: () => 'pending',
      },
    });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Username'), 'john.doe');
    await user.type(screen.getByLabelText('Employee ID'), 'EMP123');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/tickets/INC-2026-0001'));
  });

  it('logs out: clears the session cookie and shows the login page', async () => {
    const { router } = renderApp({ path: '/my-tickets', session: sessions.john });
    await userEvent.click(await screen.findByTestId('logout'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    const [url, init] = sessionFetch.mock.calls[0] as unknown as [string, RequestInit];
    expect([url, init.method]).toEqual(['/api/session', 'DELETE']);
  });

  it('shows a not-found page for unknown paths', async () => {
    renderApp({ path: '/nowhere', session: sessions.john });
    expect(await screen.findByTestId('not-found')).toBeInTheDocument();
  });
});
