import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { DateTime } from '@/components/ui/date-time';
import { EmptyState, ErrorMessage, Loading } from '@/components/ui/states';
import { describeError } from '@/lib/errors';
import { CreateEnrollmentTokenMutation, EnrollmentTokensQuery, RevokeEnrollmentTokenMutation } from '../api/assets';
import { describeWithCode } from '../errors';
import { enrollCommand, TOKEN_LIFETIMES, TOKEN_STATE_LABELS, tokenState } from '../types';

type Created = { id: string; token: string; expiresAt: string };

/** Admins: one-time enrolment tokens for `itosm-agent enroll`. */
export function EnrolmentAdmin({ origin = window.location.origin }: { origin?: string }) {
  const [{ data, fetching, error }, reexecute] = useQuery({ query: EnrollmentTokensQuery, requestPolicy: 'network-only' });
  const reload = () => reexecute({ requestPolicy: 'network-only' });
  const [expiresIn, setExpiresIn] = useState<string>('1d');
  const [created, setCreated] = useState<Created | null>(null);
  const [createError, setCreateError] = useState<string | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [{ fetching: creating }, create] = useMutation(CreateEnrollmentTokenMutation);
  const [{ fetching: revoking }, revoke] = useMutation(RevokeEnrollmentTokenMutation);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setCreateError(null);
    setCopied(false);
    const result = await create({ expiresIn });
    if (result.error || !result.data) {
      setCreateError(describeWithCode(result.error));
      return;
    }
    setCreated(result.data.createEnrollmentToken);
    reload();
  };

  const doRevoke = async (id: string) => {
    setRowError(null);
    const result = await revoke({ id });
    if (result.error) {
      setRowError(describeWithCode(result.error));
      return;
    }
    reload();
  };

  const command = created ? enrollCommand(origin, created.token) : '';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };

  return (
    <section aria-labelledby="enrolment-title">
      <h1 id="enrolment-title">Enrolment</h1>
      <form onSubmit={submit} className="card" aria-labelledby="new-token-title" noValidate>
        <h2 id="new-token-title">New enrolment token</h2>
        <div className="field">
          <label htmlFor="token-lifetime">Valid for</label>
          <select id="token-lifetime" value={expiresIn} onChange={(e) => setExpiresIn(e.target.value)}>
            {TOKEN_LIFETIMES.map((l) => (
              <option key={l.value} value={l.value}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
        {createError && (
          <p role="alert" className="field-error" data-testid="token-create-error">
            {createError}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button" disabled={creating} data-testid="token-create">
            {creating ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </form>

      {created && (
        <div className="card" role="status" data-testid="token-created">
          <h2>Token created</h2>
          <p>It is shown only this once and works for one device, until <DateTime value={created.expiresAt} />.</p>
          <p>
            Token: <code data-testid="token-value">{created.token}</code>
          </p>
          <p>On the device, run:</p>
          <code className="token-box" data-testid="token-command">
            {command}
          </code>
          <div className="form-actions">
            <button type="button" className="button secondary" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy command'}
            </button>
            <button type="button" className="button secondary" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      )}

      <h2>Tokens</h2>
      {rowError && <ErrorMessage title="Could not revoke the token" message={rowError} />}
      {error && !data ? (
        <ErrorMessage title="Could not load tokens" message={describeError(error)} onRetry={reload} />
      ) : fetching && !data ? (
        <Loading label="Loading tokens…" />
      ) : !data || data.enrollmentTokens.length === 0 ? (
        <EmptyState title="No enrolment tokens yet." />
      ) : (
        <div className="table-wrap">
          <table className="data" data-testid="tokens-table">
            <caption className="visually-hidden">Enrolment tokens, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.enrollmentTokens.map((t) => {
                const state = tokenState(t);
                return (
                  <tr key={t.id} data-testid={`token-row-${t.id}`} data-state={state}>
                    <td data-label="Created">
                      <DateTime value={t.createdAt} />
                    </td>
                    <td data-label="Expires">
                      <DateTime value={t.expiresAt} />
                    </td>
                    <td data-label="State" data-testid="token-state">
                      {TOKEN_STATE_LABELS[state]}
                    </td>
                    <td data-label="Actions">
                      {state === 'usable' && (
                        <button
                          type="button"
                          className="button secondary small"
                          disabled={revoking}
                          onClick={() => void doRevoke(t.id)}
                          aria-label={`Revoke the token created ${t.createdAt}`}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
