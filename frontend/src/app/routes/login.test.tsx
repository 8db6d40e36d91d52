import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { gqlError, type Handler } from '@/test/mock-client';
import { renderApp } from '@/test/render';
import { sessionFetch } from '@/test/setup';

const okLogin = (role: string): Handler => (vars) => ({
  data: {
    login: {
      token: `tok-${String(vars.username)}`,
      expiresAt: '2999-01-01T00:00:00Z',
      user: { id: '1', username: vars.username, displayName: 'Someone', role, mustChangePassword: false, hasPassword: false },
    },
  },
});

async function fill(username: string, employeeId: string) {
  const user = userEvent.setup();
  if (username) await user.type(await screen.findByLabelText('Username'), username);
  if (employeeId) await user.type(screen.getByLabelText('Employee ID'), employeeId);
  await user.click(screen.getByRole('button', { name: 'Log in' }));
}

describe('/login', () => {
  it('shows wrong credentials plainly and keeps no token', async () => {
    renderApp({ path: '/login', handlers: { Login: () => gqlError('UNAUTHENTICATED', 'invalid credentials') } });
    await fill('john.doe', 'WRONG');
    expect(await screen.findByTestId('login-error')).toHaveTextContent(
      'Unknown username or employee ID. Check both and try again.',
    );
    expect(window.sessionStorage.getItem('itosm.session')).toBeNull();
  });

  it('asks for both fields before calling the server', async () => {
    const { calls } = renderApp({ path: '/login', handlers: { Login: okLogin('REQUESTER') } });
    await fill('john.doe', '');
    expect(await screen.findByTestId('login-error')).toHaveTextContent(/both your username and your employee ID/);
    expect(calls.filter((c) => c.name === 'Login')).toHaveLength(0);
  });

  it('says when the server cannot be reached', async () => {
    renderApp({ path: '/login', handlers: { Login: () => ({ error: { network: true } }) } });
    await fill('john.doe', 'EMP123');
    expect(await screen.findByTestId('login-error')).toHaveTextContent(/Cannot reach the itosm server/);
  });

  it('hands the token to the session cookie, keeps it nowhere, and sends a requester to My Tickets', async () => {
    const { router, calls } = renderApp({
      path: '/login',
      handlers: { Login: okLogin('REQUESTER'), MyTickets: () => 'pending' },
    });
    await fill('john.doe', 'EMP123');
    await waitFor(() => expect(router.state.location.pathname).toBe('/my-tickets'));
    expect(calls.find((c) => c.name === 'Login')?.variables).toEqual({ username: 'john.doe', employeeId: 'EMP123' });
    const [url, init] = sessionFetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/session');
    expect(new Headers(init.headers).get('authorization')).toBe('Bearer tok-john.doe');
    expect(window.sessionStorage.length).toBe(0);
    expect(window.localStorage.length).toBe(0);
  });

  it('sends an admin to the dashboard', async () => {
    const { router } = renderApp({
      path: '/login',
      handlers: { Login: okLogin('ADMIN'), AdminTickets: () => 'pending', TicketCreated: () => 'pending' },
    });
    await fill('admin.user', 'ADMIN01');
    await waitFor(() => expect(router.state.location.pathname).toBe('/admin'));
  });
});
