import { useEffect, useState } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { useToast } from '@/components/ui/toast';
import type { Role } from '@/gql/graphql';
import { describeError } from '@/lib/errors';
import { ROLE_LABELS, ROLES } from '@/utils/format';
import { ChangeUserRoleMutation, DeactivateUserMutation, ReactivateUserMutation, ResetPasswordMutation } from '../api/users';
import type { AdminUser } from '../types';
import styles from './users.module.css';

export function UsersTable({
  users,
  meId,
  onChanged,
}: {
  users: ReadonlyArray<AdminUser>;
  meId: string | undefined;
  onChanged: (user: AdminUser) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="data" data-testid="users-table">
        <caption className="visually-hidden">Users</caption>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Phone</th>
            <th scope="col">Role</th>
            <th scope="col">Active</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <UserRow key={u.id} user={u} isMe={u.id === meId} onChanged={onChanged} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Confirming = 'deactivate' | 'reactivate' | 'reset-password' | null;

/** One user: role select, and (de)activation behind a confirm step. Not for yourself. */
function UserRow({ user, isMe, onChanged }: { user: AdminUser; isMe: boolean; onChanged: (u: AdminUser) => void }) {
  const toast = useToast();
  const [role, setRole] = useState<Role>(user.role);
  useEffect(() => setRole(user.role), [user.role]);
  const [confirming, setConfirming] = useState<Confirming>(null);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: changingRole }, changeRole] = useMutation(ChangeUserRoleMutation);
  const [{ fetching: deactivating }, deactivate] = useMutation(DeactivateUserMutation);
  const [{ fetching: reactivating }, reactivate] = useMutation(ReactivateUserMutation);
  const [{ fetching: resetting }, resetPassword] = useMutation(ResetPasswordMutation);
  // Shown once, here, until the admin dismisses it: never stored anywhere.
  const [temporary, setTemporary] = useState<string | null>(null);
  const busy = changingRole || deactivating || reactivating || resetting;

  const finish = (err: CombinedError | undefined, changed: AdminUser | undefined, success: string) => {
    if (err || !changed) {
      setError(describeError(err) || 'That did not work.');
      return false;
    }
    setError(null);
    onChanged(changed);
    toast.show(success, 'success');
    return true;
  };

  const pickRole = async (next: Role) => {
    setRole(next);
    const r = await changeRole({ id: user.id, role: next });
    if (!finish(r.error, r.data?.changeUserRole, `${user.username} is now ${ROLE_LABELS[next].toLowerCase()}.`)) {
      setRole(user.role);
    }
  };

  const confirm = async () => {
    if (confirming === 'deactivate') {
      const r = await deactivate({ id: user.id });
      finish(r.error, r.data?.deactivateUser, `${user.username} is deactivated.`);
    } else if (confirming === 'reactivate') {
      const r = await reactivate({ id: user.id });
      finish(r.error, r.data?.reactivateUser, `${user.username} is active again.`);
    } else if (confirming === 'reset-password') {
      const r = await resetPassword({ userId: user.id });
      if (finish(r.error, r.data?.resetPassword.user, `${user.username}'s password is reset.`)) {
        setTemporary(r.data?.resetPassword.temporaryPassword ?? null);
      }
    }
    setConfirming(null);
  };

  return (
    <tr
      data-testid="user-row"
      data-username={user.username}
      data-active={user.active ? 'true' : 'false'}
      className={user.active ? undefined : styles.inactive}
    >
      <td data-label="Username" className="nowrap">
        {user.username}
        {isMe && <span className={`badge ${styles.you}`}>You</span>}
      </td>
      <td data-label="Name">{user.displayName}</td>
      <td data-label="Email">{user.email ?? '—'}</td>
      <td data-label="Phone">{user.phone ?? '—'}</td>
      <td data-label="Role">
        <select
          className={styles.roleSelect}
          data-testid="role-select"
          aria-label={`Role of ${user.username}`}
          value={role}
          disabled={busy || isMe}
          title={isMe ? 'You cannot change your own role.' : undefined}
          onChange={(e) => void pickRole(e.target.value as Role)}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </select>
      </td>
      <td data-label="Active">
        <span className={`badge ${user.active ? styles.active : styles.deactivated}`} data-testid="user-active">
          {user.active ? 'Active' : 'Deactivated'}
        </span>
      </td>
      <td data-label="Actions">
        {confirming ? (
          <div className={styles.rowActions} role="group" aria-label={`Confirm for ${user.username}`}>
            <span className={styles.confirm}>
              {confirming === 'deactivate'
                ? `Deactivate ${user.username}? They are logged out at once.`
                : confirming === 'reset-password'
                  ? `Reset ${user.username}'s password? They are logged out at once and must choose a new one.`
                  : `Reactivate ${user.username}?`}
            </span>
            <button
              type="button"
              className="button small"
              data-testid={`confirm-${confirming}`}
              disabled={busy}
              onClick={() => void confirm()}
            >
              {confirming === 'deactivate'
                ? 'Yes, deactivate'
                : confirming === 'reset-password'
                  ? 'Yes, reset'
                  : 'Yes, reactivate'}
            </button>
            <button
              type="button"
              className="button secondary small"
              data-testid="confirm-cancel"
              onClick={() => setConfirming(null)}
            >
              Keep as is
            </button>
          </div>
        ) : isMe ? (
          <span className="hint">—</span>
        ) : user.active ? (
          <div className={styles.rowActions}>
            <button
              type="button"
              className="button secondary small"
              data-testid="deactivate-user"
              aria-label={`Deactivate ${user.username}`}
              disabled={busy}
              onClick={() => setConfirming('deactivate')}
            >
              Deactivate
            </button>
            <button
              type="button"
              className="button secondary small"
              data-testid="reset-password"
              aria-label={`Reset the password of ${user.username}`}
              disabled={busy}
              onClick={() => {
                setTemporary(null);
                setConfirming('reset-password');
              }}
            >
              Reset password
            </button>
          </div>
        ) : (
          <button
            type="button"
            className="button secondary small"
            data-testid="reactivate-user"
            aria-label={`Reactivate ${user.username}`}
            disabled={busy}
            onClick={() => setConfirming('reactivate')}
          >
            Reactivate
          </button>
        )}
        {temporary && (
          <div className={styles.temporary} role="status" data-testid="temporary-password-box">
            <span>
              Temporary password for {user.username} (shown once; they must change it when they log in):
            </span>
            <code data-testid="temporary-password">{temporary}</code>
            <button type="button" className="button secondary small" onClick={() => setTemporary(null)}>
              Done
            </button>
          </div>
        )}
        {error && (
          <p role="alert" className="field-error" data-testid="user-row-error">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}
