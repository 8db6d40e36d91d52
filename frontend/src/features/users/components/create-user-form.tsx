import { useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import type { Role } from '@/gql/graphql';
import { describeError, errorField, hasCode } from '@/lib/errors';
import { ROLE_LABELS, ROLES } from '@/utils/format';
import { CreateUserMutation } from '../api/users';
import {
  EMPTY_NEW_USER,
  isNewUserField,
  NEW_USER_FIELDS,
  toCreateUserInput,
  validateNewUser,
  type AdminUser,
  type NewUserErrors,
  type NewUserField,
  type NewUserValues,
} from '../types';
import styles from './users.module.css';

const LABELS: Record<NewUserField, string> = {
  username: 'Username',
  employeeId: 'Employee ID',
  displayName: 'Name',
  email: 'Email (optional)',
  phone: 'Phone (optional)',
  role: 'Role',
};

const TEST_IDS: Record<NewUserField, string> = {
  username: 'new-user-username',
  employeeId: 'new-user-employee-id',
  displayName: 'new-user-display-name',
  email: 'new-user-email',
  phone: 'new-user-phone',
  role: 'new-user-role',
};

/**
 * A new user. The server's `BAD_USER_INPUT` errors appear next to the field
 * they name (`extensions.field`); a `CONFLICT` means the username is taken.
 */
export function CreateUserForm({ onCreated }: { onCreated: (user: AdminUser) => void }) {
  const [values, setValues] = useState<NewUserValues>(EMPTY_NEW_USER);
  const [errors, setErrors] = useState<NewUserErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [{ fetching }, createUser] = useMutation(CreateUserMutation);
  const refs = useRef<Partial<Record<NewUserField, HTMLInputElement | HTMLSelectElement | null>>>({});

  const set = (k: NewUserField, v: string) => {
    setValues((prev) => ({ ...prev, [k]: v }));
    setErrors((prev) => ({ ...prev, [k]: undefined }));
  };

  const focusFirst = (errs: NewUserErrors) => {
    const first = NEW_USER_FIELDS.find((k) => errs[k]);
    if (first) refs.current[first]?.focus();
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFormError(null);
    const local = validateNewUser(values);
    setErrors(local);
    if (Object.keys(local).length > 0) {
      focusFirst(local);
      return;
    }
    const result = await createUser({ input: toCreateUserInput(values) });
    if (result.error || !result.data) {
      const field = errorField(result.error);
      if (hasCode(result.error, 'CONFLICT')) {
        const errs = { username: 'That username is taken.' };
        setErrors(errs);
        focusFirst(errs);
      } else if (isNewUserField(field)) {
        const message = result.error?.graphQLErrors.find((g) => g.extensions?.field)?.message;
        const errs = { [field]: message || 'This value was not accepted.' };
        setErrors(errs);
        focusFirst(errs);
      } else {
        setFormError(describeError(result.error) || 'The user could not be created.');
      }
      return;
    }
    setValues(EMPTY_NEW_USER);
    setErrors({});
    onCreated(result.data.createUser);
  };

  const field = (k: Exclude<NewUserField, 'role'>, extra: { type?: string; autoComplete?: string; placeholder?: string } = {}) => (
    <div className="field" key={k}>
      <label htmlFor={TEST_IDS[k]}>{LABELS[k]}</label>
      <input
        id={TEST_IDS[k]}
        name={k}
        data-testid={TEST_IDS[k]}
        type={extra.type ?? 'text'}
        autoComplete={extra.autoComplete ?? 'off'}
        placeholder={extra.placeholder}
        spellCheck={false}
        ref={(el) => {
          refs.current[k] = el;
        }}
        value={values[k]}
        onChange={(e) => set(k, e.target.value)}
        aria-invalid={errors[k] ? true : undefined}
        aria-describedby={errors[k] ? `${TEST_IDS[k]}-error` : undefined}
      />
      {errors[k] && (
        <span id={`${TEST_IDS[k]}-error`} className="field-error" data-testid={`field-error-${k}`}>
          {errors[k]}
        </span>
      )}
    </div>
  );

  return (
    <form onSubmit={submit} noValidate className="card" data-testid="create-user-form" aria-labelledby="create-user-title">
      <h2 id="create-user-title">Create user</h2>
      <div className={styles.formGrid}>
        {field('username')}
        {field('employeeId')}
        {field('displayName')}
        {field('email', { type: 'email', placeholder: 'name@example.com' })}
        {field('phone', { type: 'tel', placeholder: '+919876543210' })}
        <div className="field">
          <label htmlFor={TEST_IDS.role}>{LABELS.role}</label>
          <select
            id={TEST_IDS.role}
            name="role"
            data-testid={TEST_IDS.role}
            ref={(el) => {
              refs.current.role = el;
            }}
            value={values.role}
            onChange={(e) => set('role', e.target.value as Role)}
            aria-invalid={errors.role ? true : undefined}
            aria-describedby={errors.role ? `${TEST_IDS.role}-error` : undefined}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
          {errors.role && (
            <span id={`${TEST_IDS.role}-error`} className="field-error" data-testid="field-error-role">
              {errors.role}
            </span>
          )}
        </div>
      </div>
      {formError && (
        <p role="alert" className="field-error" data-testid="create-user-error">
          {formError}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button" data-testid="create-user-submit" disabled={fetching}>
          {fetching ? 'Creating…' : 'Create user'}
        </button>
      </div>
    </form>
  );
}
