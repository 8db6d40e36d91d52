import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { gqlError, type Handler } from '@/test/mock-client';
import { renderApp, sessions } from '@/test/render';
import { sessionFetch } from '@/test/setup';

const methods = (over: Record<string, unknown> = {}): Handler => () => ({
  data: { authMethods: { employeeId: true, password: true, oidc: false, oidcLoginPath: null, ...over } },
});

const mary = (mustChangePassword: boolean) => ({
  id: '7',
  username: 'mary.major',
  displayName: 'Mary Major',
  role: 'REQUESTER',
  mustChangePassword,
  hasPassword: true,
});

/** The `POST /api/session` calls made so far, as the tokens they carried. */
const openedWith = () =>
  sessionFetch.mock.calls
    .map((c) => c as unknown as [string, RequestInit | undefined])
    .filter(([url, init]) => url === '/api/session' && init?.method === 'POST')
    .map(([, init]) => new Headers(init?.headers).get('authorization'));

describe('the login page', () => {
  it('offers the methods the daemon has on, and single sign-on with the page to return to', async () => {
    const user = userEvent.setup();
    renderApp({
      path: '/login?returnTo=%2Ftickets%2FINC-2026-0001',
      handlers: { AuthMethods: methods({ oidc: true, oidcLoginPath: '/auth/oidc/login' }) },
    });
    const sso = await screen.findByTestId('login-sso');
    expect(sso).toHaveAttribute('href', '/auth/oidc/login?returnTo=%2Ftickets%2FINC-2026-0001');
    expect(screen.getByLabelText('Employee ID')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'With a password' }));
    expect(screen.getByLabelText('Password')).toBeInTheDocument();
    expect(screen.queryByLabelText('Employee ID')).not.toBeInTheDocument();
  });

  it('shows only the password form when employee-ID login is off', async () => {
    renderApp({ path: '/login', handlers: { AuthMethods: methods({ employeeId: false }) } });
    expect(await screen.findByTestId('password-login-form')).toBeInTheDocument();
    expect(screen.queryByLabelText('Employee ID')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'With your employee ID' })).not.toBeInTheDocument();
  });

  it('refuses a wrong password plainly', async () => {
    const user = userEvent.setup();
    renderApp({
      path: '/login',
      handlers: { AuthMethods: methods({ employeeId: false }), PasswordLogin: () => gqlError('UNAUTHENTICATED') },
    });
    await user.type(await screen.findByLabelText('Username'), 'mary.major');
    await user.type(screen.getByLabelText('Password'), 'not her password');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByTestId('login-error')).toHaveTextContent('Unknown username or password');
    expect(openedWith()).toEqual([]);
  });
});

describe('a password an admin reset', () => {
  it('must be changed before anything else, then the page asked for opens', async () => {
    const user = userEvent.setup();
    // As the daemon answers: the login's payload, read anonymously, says
    // null; `me`, asked with the new session cookie, says true.
    let mustChange = true;
    sessionFetch.mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url === '/api/session') return new Response(init?.method === 'DELETE' ? null : '{}', { status: init?.method === 'DELETE' ? 204 : 200 });
      return new Response(JSON.stringify({ data: { me: mary(mustChange) } }), { headers: { 'content-type': 'application/json' } });
    });
    const { router, calls } = renderApp({
      path: '/login?returnTo=%2Fmy-tickets',
      handlers: {
        AuthMethods: methods({ employeeId: false }),
        PasswordLogin: () => ({
          data: { loginWithPassword: { token: 'temp-token', user: { ...mary(false), mustChangePassword: null } } },
        }),
        ChangePassword: () => {
          mustChange = false;
          return { data: { changePassword: { token: 'new-token', user: { ...mary(false), mustChangePassword: null } } } };
        },
        MyTickets: () => 'pending',
        NewRequestData: () => 'pending',
      },
    });
    await user.type(await screen.findByLabelText('Username'), 'mary.major');
    await user.type(screen.getByLabelText('Password'), 'Temp-Pass-1234');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/account/password'));
    expect(await screen.findByRole('heading', { name: 'Choose a new password' })).toBeInTheDocument();
    // Nothing else is on offer meanwhile, and other pages lead back here.
    expect(screen.queryByRole('link', { name: 'My tickets' })).not.toBeInTheDocument();
    await router.navigate('/new-request');
    await waitFor(() => expect(router.state.location.pathname).toBe('/account/password'));

    await user.type(await screen.findByLabelText('Temporary password'), 'Temp-Pass-1234');
    await user.type(screen.getByLabelText('New password'), 'short');
    await user.type(screen.getByLabelText('New password again'), 'short');
    await user.click(screen.getByRole('button', { name: 'Save the new password' }));
    expect(await screen.findByText('Use at least 12 characters.')).toBeInTheDocument();
    expect(calls.some((c) => c.name === 'ChangePassword')).toBe(false);

    await user.clear(screen.getByLabelText('New password'));
    await user.clear(screen.getByLabelText('New password again'));
    await user.type(screen.getByLabelText('New password'), 'correct horse battery');
    await user.type(screen.getByLabelText('New password again'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Save the new password' }));
    // The page last asked for.
    await waitFor(() => expect(router.state.location.pathname).toBe('/new-request'));
    expect(calls.find((c) => c.name === 'ChangePassword')?.variables).toEqual({
      currentPassword: 'Temp-Pass-1234',
      newPassword: 'correct horse battery',
    });
    // The earlier session ended: the cookie now holds the new token.
    expect(openedWith()).toEqual(['Bearer temp-token', 'Bearer new-token']);
  });
});

describe('the user menu', () => {
  it('leads to Change password, which asks for the current one', async () => {
    const user = userEvent.setup();
    const { router } = renderApp({
      path: '/my-tickets',
      session: { user: { ...sessions.john.user, hasPassword: true, mustChangePassword: false } },
      handlers: { MyTickets: () => 'pending' },
    });
    await user.click(await screen.findByText('John Doe'));
    await user.click(screen.getByTestId('nav-change-password'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/account/password'));
    expect(await screen.findByRole('heading', { name: 'Change password' })).toBeInTheDocument();
    expect(screen.getByLabelText('Current password')).toBeInTheDocument();
  });

  it('logs out everywhere: ends every session, then forgets the cookie', async () => {
    const user = userEvent.setup();
    const logoutEverywhere = vi.fn(() => ({ data: { logoutEverywhere: true } }));
    const { router, calls } = renderApp({
      path: '/my-tickets',
      session: sessions.john,
      handlers: { MyTickets: () => 'pending', LogoutEverywhere: logoutEverywhere },
    });
    const menu = await screen.findByTestId('user-menu');
    await user.click(within(menu).getByText('John Doe'));
    await user.click(screen.getByTestId('logout-everywhere'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(calls.some((c) => c.name === 'LogoutEverywhere')).toBe(true);
    const deleted = sessionFetch.mock.calls.some(
      (c) => (c as unknown as [string, RequestInit])[0] === '/api/session' && (c as unknown as [string, RequestInit])[1]?.method === 'DELETE',
    );
    expect(deleted).toBe(true);
    expect(await screen.findByText('You are logged out on every device.')).toBeInTheDocument();
  });
});

describe('a fresh page load (a new tab, an emailed link)', () => {
  it('asks the daemon who it is: the session cookie still counts', async () => {
    sessionFetch.mockImplementationOnce(
      async () =>
        new Response(JSON.stringify({ data: { me: { ...sessions.john.user, mustChangePassword: false } } }), {
          headers: { 'content-type': 'application/json' },
        }),
    );
    const { router } = renderApp({
      path: '/tickets/INC-2026-0001',
      session: 'ask',
      handlers: { TicketDetails: () => 'pending' },
    });
    expect(await screen.findByText('John Doe')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/tickets/INC-2026-0001');
  });

  it('without a session goes to /login, and back to the ticket after logging in', async () => {
    const user = userEvent.setup();
    const { router } = renderApp({
      path: '/tickets/INC-2026-0001',
      session: 'ask',
      handlers: {
        AuthMethods: methods({ password: false }),
        Login: () => ({ data: { login: { token: 'tok', user: { ...sessions.john.user, mustChangePassword: false } } } }),
        TicketDetails: () => 'pending',
      },
    });
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(router.state.location.search).toBe('?returnTo=%2Ftickets%2FINC-2026-0001');
    await user.type(await screen.findByLabelText('Username'), 'john.doe');
    await user.type(screen.getByLabelText('Employee ID'), 'EMP123');
    await user.click(screen.getByRole('button', { name: 'Log in' }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/tickets/INC-2026-0001'));
  });

  it('with a session that ended elsewhere says so, and drops the dead cookie', async () => {
    sessionFetch.mockImplementationOnce(
      async () =>
        new Response(
          JSON.stringify({
            data: null,
            errors: [{ message: 'this session has ended (logged out, or the account changed): log in again', extensions: { code: 'UNAUTHENTICATED' } }],
          }),
          { headers: { 'content-type': 'application/json' } },
        ),
    );
    const { router } = renderApp({ path: '/my-tickets', session: 'ask', handlers: { AuthMethods: methods() } });
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(await screen.findByText('Your session has ended. Please log in again.')).toBeInTheDocument();
    await waitFor(() =>
      expect(
        sessionFetch.mock.calls.some(
          (c) => (c as unknown as [string, RequestInit])[0] === '/api/session' && (c as unknown as [string, RequestInit])[1]?.method === 'DELETE',
        ),
      ).toBe(true),
    );
  });
});
