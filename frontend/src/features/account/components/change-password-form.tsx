import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { describeError, hasCode } from '@/lib/errors';
import type { SessionUser } from '@/lib/session';
import { ChangePasswordMutation } from '../api/account';
import { validatePasswordChange, type PasswordValues } from './password-rules';

/**
 * Sets the caller's password. `forced`: an admin reset it, and the
 * temporary password he was given is the current one.
 */
export function ChangePasswordForm({
  forced,
  needsCurrent,
  onChanged,
}: {
  forced: boolean;
  needsCurrent: boolean;
  onChanged: (token: string, user: SessionUser) => Promise<void>;
}) {
  const [values, setValues] = useState<PasswordValues>({ current: '', next: '', confirm: '' });
  const [submitted, setSubmitted] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [{ fetching }, change] = useMutation(ChangePasswordMutation);
  const errors = validatePasswordChange(values, needsCurrent);
  const shown = (k: keyof PasswordValues) => (submitted ? errors[k] : undefined);
  const set = (k: keyof PasswordValues, v: string) => setValues((prev) => ({ ...prev, [k]: v }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setServerError(null);
    if (Object.keys(errors).length > 0) return;
    const result = await change({
      ...(needsCurrent ? { currentPassword: values.current } : {}),
      newPassword: values.next,
    });
    const payload = result.data?.changePassword;
    if (result.error || !payload) {
      setServerError(
        hasCode(result.error, 'UNAUTHENTICATED') && needsCurrent
          ? 'The current password is not right, or your session has ended.'
          : describeError(result.error) || 'The password could not be changed.',
      );
      return;
    }
    setSaving(true);
    try {
      // Every earlier session ended: this browser keeps the new one.
      await onChanged(payload.token, payload.user);
    } catch {
      setSaving(false);
      setServerError('The password was changed, but the browser session could not be renewed. Log in again.');
    }
  };

  const field = (k: keyof PasswordValues, label: string, autoComplete: string) => (
    <div className="field">
      <label htmlFor={`password-${k}`}>{label}</label>
      <input
        id={`password-${k}`}
        type="password"
        autoComplete={autoComplete}
        spellCheck={false}
        value={values[k]}
        onChange={(e) => set(k, e.target.value)}
        aria-invalid={shown(k) ? true : undefined}
        aria-describedby={shown(k) ? `password-${k}-error` : undefined}
        data-testid={`password-${k}`}
      />
      {shown(k) && (
        <span id={`password-${k}-error`} className="field-error">
          {shown(k)}
        </span>
      )}
    </div>
  );

  return (
    <form onSubmit={submit} noValidate className="card" data-testid="change-password-form">
      {needsCurrent && field('current', forced ? 'Temporary password' : 'Current password', 'current-password')}
      {field('next', 'New password', 'new-password')}
      <span className="hint">At least 12 characters; a few unrelated words make a good one.</span>
      {field('confirm', 'New password again', 'new-password')}
      {serverError && (
        <p role="alert" className="field-error" data-testid="change-password-error">
          {serverError}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button" disabled={fetching || saving}>
          {fetching || saving ? 'Saving…' : 'Save the new password'}
        </button>
      </div>
    </form>
  );
}
