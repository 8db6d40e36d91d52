import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { gqlError, type Handler } from '@/test/mock-client';
import { renderApp, sessions } from '@/test/render';

type U = { id: string; username: string; displayName: string; email: string | null; phone: string | null; role: string; active: boolean };

const people: U[] = [
  { id: '1', username: 'john.doe', displayName: 'John Doe', email: 'john@example.com', phone: null, role: 'REQUESTER', active: true },
  { id: '2', username: 'jane.smith', displayName: 'Jane Smith', email: null, phone: '+919876543210', role: 'REQUESTER', active: false },
  { id: '3', username: 'admin.user', displayName: 'Admin User', email: 'admin@example.com', phone: null, role: 'ADMIN', active: true },
];

const usersPage = (list: U[], hasNextPage = false) => ({
  data: {
    users: {
      edges: list.map((node) => ({ cursor: `c-${node.id}`, node })),
      pageInfo: { hasNextPage, endCursor: hasNextPage ? 'c-last' : null },
    },
  },
});

function setup(handlers: Record<string, Handler> = {}) {
  return renderApp({
    path: '/admin/users',
    session: sessions.admin,
    handlers: { AdminUsers: () => usersPage(people), ...handlers },
  });
}

const row = (username: string) =>
  screen.getAllByTestId('user-row').find((r) => r.getAttribute('data-username') === username) as HTMLElement;

describe('/admin/users', () => {
  it('is for admins only', async () => {
    const a = renderApp({ path: '/admin/users', session: sessions.agent });
    expect(await screen.findByTestId('not-allowed')).toHaveTextContent('administrators only');
    expect(a.calls).toHaveLength(0);
    expect(screen.queryByRole('link', { name: 'Users' })).not.toBeInTheDocument();
    a.unmount();
    renderApp({ path: '/admin/users', session: sessions.john });
    expect(await screen.findByTestId('not-allowed')).toBeInTheDocument();
  });

  it('shows admins a "Users" link', async () => {
    setup();
    const link = await screen.findByRole('link', { name: 'Users' });
    expect(link).toHaveAttribute('href', '/admin/users');
  });

  it('lists users with name, email, role and whether active', async () => {
    const { calls } = setup();
    const table = await screen.findByTestId('users-table');
    expect(within(table).getAllByTestId('user-row').map((r) => r.getAttribute('data-username'))).toEqual([
      'john.doe',
      'jane.smith',
      'admin.user',
    ]);
    expect(row('john.doe')).toHaveTextContent('John Doe');
    expect(row('john.doe')).toHaveTextContent('john@example.com');
    expect(within(row('john.doe')).getByTestId('role-select')).toHaveValue('REQUESTER');
    expect(within(row('jane.smith')).getByTestId('user-active')).toHaveTextContent('Deactivated');
    expect(within(row('jane.smith')).getByTestId('reactivate-user')).toBeInTheDocument();
    // Not yourself.
    expect(within(row('admin.user')).getByTestId('role-select')).toBeDisabled();
    expect(within(row('admin.user')).queryByTestId('deactivate-user')).not.toBeInTheDocument();
    expect(calls.find((c) => c.name === 'AdminUsers')?.variables).toEqual({ filter: {}, first: 50, after: null });
  });

  it('searches', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    await screen.findByTestId('users-table');
    await user.type(screen.getByTestId('users-search'), ' jane ');
    await waitFor(() =>
      expect(calls.filter((c) => c.name === 'AdminUsers').at(-1)?.variables.filter).toEqual({ search: 'jane' }),
    );
  });

  it('changes a role', async () => {
    const user = userEvent.setup();
    const { calls } = setup({
      ChangeUserRole: (v) => ({ data: { changeUserRole: { ...people[0], role: v.role } } }),
    });
    await screen.findByTestId('users-table');
    await user.selectOptions(within(row('john.doe')).getByTestId('role-select'), 'AGENT');
    await waitFor(() => expect(calls.find((c) => c.name === 'ChangeUserRole')?.variables).toEqual({ id: '1', role: 'AGENT' }));
    expect(await screen.findByText('john.doe is now agent.')).toBeInTheDocument();
    expect(within(row('john.doe')).getByTestId('role-select')).toHaveValue('AGENT');
  });

  it('puts the role back when the change is refused', async () => {
    const user = userEvent.setup();
    setup({ ChangeUserRole: () => gqlError('FORBIDDEN') });
    await screen.findByTestId('users-table');
    await user.selectOptions(within(row('john.doe')).getByTestId('role-select'), 'ADMIN');
    expect(await within(row('john.doe')).findByTestId('user-row-error')).toHaveTextContent('not allowed');
    expect(within(row('john.doe')).getByTestId('role-select')).toHaveValue('REQUESTER');
  });

  it('deactivates only after confirming', async () => {
    const user = userEvent.setup();
    const { calls } = setup({
      DeactivateUser: (v) => ({ data: { deactivateUser: { ...people[0], id: v.id, active: false } } }),
    });
    await screen.findByTestId('users-table');
    await user.click(within(row('john.doe')).getByTestId('deactivate-user'));
    expect(calls.some((c) => c.name === 'DeactivateUser')).toBe(false);
    await user.click(within(row('john.doe')).getByTestId('confirm-cancel'));
    expect(within(row('john.doe')).getByTestId('deactivate-user')).toBeInTheDocument();

    await user.click(within(row('john.doe')).getByTestId('deactivate-user'));
    expect(row('john.doe')).toHaveTextContent('Deactivate john.doe?');
    await user.click(within(row('john.doe')).getByTestId('confirm-deactivate'));
    await waitFor(() => expect(row('john.doe')).toHaveAttribute('data-active', 'false'));
    expect(calls.find((c) => c.name === 'DeactivateUser')?.variables).toEqual({ id: '1' });
    expect(within(row('john.doe')).getByTestId('reactivate-user')).toBeInTheDocument();
  });

  it('reactivates after confirming', async () => {
    const user = userEvent.setup();
    const { calls } = setup({
      ReactivateUser: () => ({ data: { reactivateUser: { ...people[1], active: true } } }),
    });
    await screen.findByTestId('users-table');
    await user.click(within(row('jane.smith')).getByTestId('reactivate-user'));
    await user.click(within(row('jane.smith')).getByTestId('confirm-reactivate'));
    await waitFor(() => expect(row('jane.smith')).toHaveAttribute('data-active', 'true'));
    expect(calls.find((c) => c.name === 'ReactivateUser')?.variables).toEqual({ id: '2' });
  });

  it('creates a user and lists it', async () => {
    const user = userEvent.setup();
    let list = people;
    const created: U = { id: '9', username: 'new.person', displayName: 'New Person', email: null, phone: '+919876543210', role: 'AGENT', active: true };
    const { calls } = setup({
      AdminUsers: () => usersPage(list),
      CreateUser: () => {
        list = [...people, created];
        return { data: { createUser: created } };
      },
    });
    const form = await screen.findByTestId('create-user-form');
    await user.type(within(form).getByLabelText('Username'), 'new.person');
    await user.type(within(form).getByLabelText('Employee ID'), 'EMP900');
    await user.type(within(form).getByLabelText('Name'), 'New Person');
    await user.type(within(form).getByLabelText('Phone (optional)'), '+919876543210');
    await user.selectOptions(within(form).getByLabelText('Role'), 'AGENT');
    await user.click(within(form).getByRole('button', { name: 'Create user' }));
    await waitFor(() =>
      expect(calls.find((c) => c.name === 'CreateUser')?.variables).toEqual({
        input: { username: 'new.person', employeeId: 'EMP900', displayName: 'New Person', phone: '+919876543210', role: 'AGENT' },
      }),
    );
    expect(await screen.findByText('User new.person created.')).toBeInTheDocument();
    await waitFor(() => expect(row('new.person')).toBeInTheDocument());
    expect(within(form).getByLabelText('Username')).toHaveValue('');
  });

  it('checks required fields before calling the server', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    const form = await screen.findByTestId('create-user-form');
    await user.click(within(form).getByRole('button', { name: 'Create user' }));
    expect(screen.getByTestId('field-error-username')).toHaveTextContent('Enter a username.');
    expect(screen.getByTestId('field-error-employeeId')).toBeInTheDocument();
    expect(within(form).getByLabelText('Username')).toHaveFocus();
    expect(calls.some((c) => c.name === 'CreateUser')).toBe(false);
  });

  it('shows a BAD_USER_INPUT error next to the field it names', async () => {
    const user = userEvent.setup();
    setup({ CreateUser: () => gqlError('BAD_USER_INPUT', 'email is not a valid address', { field: 'email' }) });
    const form = await screen.findByTestId('create-user-form');
    await user.type(within(form).getByLabelText('Username'), 'x.y');
    await user.type(within(form).getByLabelText('Employee ID'), 'E1');
    await user.type(within(form).getByLabelText('Name'), 'X Y');
    await user.type(within(form).getByLabelText('Email (optional)'), 'x@y');
    await user.click(within(form).getByRole('button', { name: 'Create user' }));
    const error = await screen.findByTestId('field-error-email');
    expect(error).toHaveTextContent('email is not a valid address');
    expect(within(form).getByLabelText('Email (optional)')).toHaveAttribute('aria-invalid', 'true');
    expect(within(form).getByLabelText('Email (optional)')).toHaveAttribute('aria-describedby', error.id);
  });

  it('maps a snake_case field to its input', async () => {
    const user = userEvent.setup();
    setup({ CreateUser: () => gqlError('BAD_USER_INPUT', 'employee ID too long', { field: 'input.employee_id' }) });
    const form = await screen.findByTestId('create-user-form');
    await user.type(within(form).getByLabelText('Username'), 'x.y');
    await user.type(within(form).getByLabelText('Employee ID'), 'E1');
    await user.type(within(form).getByLabelText('Name'), 'X Y');
    await user.click(within(form).getByRole('button', { name: 'Create user' }));
    expect(await screen.findByTestId('field-error-employeeId')).toHaveTextContent('employee ID too long');
  });

  it('says the username is taken on CONFLICT', async () => {
    const user = userEvent.setup();
    setup({ CreateUser: () => gqlError('CONFLICT', 'username exists') });
    const form = await screen.findByTestId('create-user-form');
    await user.type(within(form).getByLabelText('Username'), 'john.doe');
    await user.type(within(form).getByLabelText('Employee ID'), 'E1');
    await user.type(within(form).getByLabelText('Name'), 'John Again');
    await user.click(within(form).getByRole('button', { name: 'Create user' }));
    expect(await screen.findByTestId('field-error-username')).toHaveTextContent('That username is taken.');
  });
});
