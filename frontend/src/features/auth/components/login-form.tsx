import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { describeError, hasCode } from '@/lib/errors';
import type { SessionUser } from '@/lib/session';
import { LoginMutation, PasswordLoginMutation } from '../api/login';

export type LoginSuccess = (token: string, user: SessionUser) => Promise<void>;

type Kind = 'employeeId' | 'password';

const COPY: Record<Kind, { secretLabel: string; missing: string; refused: string; testId: string }> = {
  employeeId: {
    secretLabel: 'Employee ID',
    missing: 'Enter both your username and your employee ID.',
    refused: 'Unknown username or employee ID. Check both and try again.',
    testId: 'login-form',
  },
  password: {
    secretLabel: 'Password',
    missing: 'Enter both your username and your password.',
    refused: 'Unknown username or password. Check both and try again.',
    testId: 'password-login-form',
  },
};

/** Username and a second factor: the employee ID (`login`) or a password (`loginWithPassword`). */
export function LoginForm({ kind = 'employeeId', onSuccess }: { kind?: Kind; onSuccess: LoginSuccess }) {
  const [username, setUsername] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [opening, setOpening] = useState(false);
  const [employeeLogin, loginWithEmployeeId] = useMutation(LoginMutation);
  const [passwordLogin, loginWithPassword] = useMutation(PasswordLoginMutation);
  const fetching = employeeLogin.fetching || passwordLogin.fetching || opening;
  const errorId = useId();
  const copy = COPY[kind];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const u = username.trim();
    // A password is taken as typed; an employee ID without stray spaces.
    const s = kind === 'password' ? secret : secret.trim();
    if (!u || !s) {
      setError(copy.missing);
      return;
    }
    setError(null);
    const result =
      kind === 'password'
        ? await loginWithPassword({ username: u, password: s })
        : await loginWithEmployeeId({ username: u, employeeId: s });
    if (result.error) {
      setError(
        hasCode(result.error, 'UNAUTHENTICATED') || hasCode(result.error, 'NOT_FOUND')
          ? copy.refused
          : describeError(result.error),
      );
      return;
    }
    const data = result.data;
    const payload = data && ('loginWithPassword' in data ? data.loginWithPassword : 'login' in data ? data.login : null);
    if (!payload) {
      setError('The server gave no answer. Please try again.');
      return;
    }
    setOpening(true);
    try {
      await onSuccess(payload.token, payload.user);
    } catch {
      setError('You are logged in, but the browser session could not be opened. Please try again.');
      setOpening(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate aria-describedby={error ? errorId : undefined} data-testid={copy.testId}>
      <div className="field">
        <label htmlFor={`${kind}-username`}>Username</label>
        <input
          id={`${kind}-username`}
          name="username"
          type="text"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          aria-invalid={error ? true : undefined}
        />
      </div>
      <div className="field">
        <label htmlFor={`${kind}-secret`}>{copy.secretLabel}</label>
        <input
          id={`${kind}-secret`}
          name={kind}
          type="password"
          autoComplete="current-password"
          autoCapitalize={kind === 'password' ? 'none' : 'characters'}
          spellCheck={false}
          required
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          aria-invalid={error ? true : undefined}
        />
      </div>
      {error && (
        <p id={errorId} role="alert" className="field-error" data-testid="login-error">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button" disabled={fetching}>
          {fetching ? 'Logging in…' : 'Log in'}
        </button>
      </div>
    </form>
  );
}
