import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { describeError, hasCode } from '@/lib/errors';
import type { Session } from '@/lib/session';
import { LoginMutation } from '../api/login';

export function LoginForm({ onSuccess }: { onSuccess: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [employeeId, setEmployeeId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, login] = useMutation(LoginMutation);
  const errorId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const u = username.trim();
    const id = employeeId.trim();
    if (!u || !id) {
      setError('Enter both your username and your employee ID.');
      return;
    }
    setError(null);
    const result = await login({ username: u, employeeId: id });
    if (result.error) {
      setError(
        hasCode(result.error, 'UNAUTHENTICATED') || hasCode(result.error, 'NOT_FOUND')
          ? 'Unknown username or employee ID. Check both and try again.'
          : describeError(result.error),
      );
      return;
    }
    const payload = result.data?.login;
    if (!payload) {
      setError('The server gave no answer. Please try again.');
      return;
    }
    onSuccess({ token: payload.token, expiresAt: payload.expiresAt, user: payload.user });
  };

  return (
    <form onSubmit={submit} noValidate aria-describedby={error ? errorId : undefined} data-testid="login-form">
      <div className="field">
        <label htmlFor="login-username">Username</label>
        <input
          id="login-username"
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
        <label htmlFor="login-employee-id">Employee ID</label>
        <input
          id="login-employee-id"
          name="employeeId"
          type="password"
          autoComplete="current-password"
          autoCapitalize="characters"
          spellCheck={false}
          required
          value={employeeId}
          onChange={(e) => setEmployeeId(e.target.value)}
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
