import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderApp, sessions } from '@/test/render';

const john = {
  id: '1',
  username: 'john.doe',
  displayName: 'John Doe',
  email: null,
  phone: null,
  role: 'REQUESTER',
  active: true,
  hasPassword: false,
  mustChangePassword: false,
};

describe('resetting a password on /admin/users', () => {
  it('asks first, then shows the temporary password once', async () => {
    const user = userEvent.setup();
    const { calls } = renderApp({
      path: '/admin/users',
      session: sessions.admin,
      handlers: {
        AdminUsers: () => ({
          data: { users: { edges: [{ cursor: 'c1', node: john }], pageInfo: { hasNextPage: false, endCursor: null } } },
        }),
        ResetPassword: () => ({
          data: {
            resetPassword: {
              user: { ...john, hasPassword: true, mustChangePassword: true },
              temporaryPassword: 'tmp-Quiet-Otter-42',
            },
          },
        }),
      },
    });
    const row = await screen.findByTestId('user-row');
    await user.click(within(row).getByTestId('reset-password'));
    expect(calls.some((c) => c.name === 'ResetPassword')).toBe(false);
    expect(row).toHaveTextContent("Reset john.doe's password?");
    await user.click(within(row).getByTestId('confirm-reset-password'));
    await waitFor(() => expect(within(row).getByTestId('temporary-password')).toHaveTextContent('tmp-Quiet-Otter-42'));
    expect(calls.find((c) => c.name === 'ResetPassword')?.variables).toEqual({ userId: '1' });
    await user.click(within(row).getByRole('button', { name: 'Done' }));
    expect(within(row).queryByTestId('temporary-password')).not.toBeInTheDocument();
    expect(screen.queryByText('tmp-Quiet-Otter-42')).not.toBeInTheDocument();
  });
});
