import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { paths } from '@/config/paths';
import { normalizeTicketNumber } from '@/utils/format';
import { LinkAssetMutation, MergeAssetsMutation } from '../api/assets';
import { describeWithCode } from '../errors';
import styles from './assets.module.css';

/** Staff: links this device to a ticket by number. */
export function LinkTicketBox({ tag, onLinked }: { tag: string; onLinked: () => void }) {
  const [number, setNumber] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, link] = useMutation(LinkAssetMutation);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const n = normalizeTicketNumber(number);
    if (!n) {
      setError('Enter a ticket number.');
      return;
    }
    const result = await link({ number: n, tag });
    if (result.error) {
      setError(describeWithCode(result.error));
      return;
    }
    setNumber('');
    onLinked();
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby="link-ticket-title" noValidate>
      <h2 id="link-ticket-title">Link to a ticket</h2>
      <div className={styles.inline}>
        <div className="field">
          <label htmlFor="link-ticket-number">Ticket number</label>
          <input
            id="link-ticket-number"
            type="text"
            placeholder="INC-2026-0001"
            value={number}
            onChange={(e) => setNumber(e.target.value)}
            data-testid="link-ticket-number"
          />
        </div>
        <div className="form-actions">
          <button type="submit" className="button secondary" disabled={fetching} data-testid="link-ticket-submit">
            Link
          </button>
        </div>
      </div>
      {error && (
        <p role="alert" className="field-error" data-testid="link-ticket-error">
          {error}
        </p>
      )}
    </form>
  );
}

/** Admins: merges this device into another one (this one is retired). */
export function MergeBox({ tag }: { tag: string }) {
  const [keep, setKeep] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, merge] = useMutation(MergeAssetsMutation);
  const navigate = useNavigate();
  const target = keep.trim();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (!target) {
      setError('Enter the tag of the device to keep.');
      return;
    }
    if (target === tag) {
      setError('A device cannot be merged into itself.');
      return;
    }
    if (!confirming) {
      setConfirming(true);
      return;
    }
    const result = await merge({ keep: target, absorb: tag });
    setConfirming(false);
    if (result.error || !result.data) {
      setError(describeWithCode(result.error));
      return;
    }
    navigate(paths.asset(result.data.mergeAssets.tag));
  };
  return (
    <form onSubmit={submit} className="card" aria-labelledby="merge-title" noValidate>
      <h2 id="merge-title">Merge into…</h2>
      <p className="hint">Its tickets and agents move to the device you keep; this one is retired.</p>
      <div className={styles.inline}>
        <div className="field">
          <label htmlFor="merge-keep">Tag of the device to keep</label>
          <input
            id="merge-keep"
            type="text"
            value={keep}
            onChange={(e) => {
              setKeep(e.target.value);
              setConfirming(false);
            }}
            data-testid="merge-keep"
          />
        </div>
        <div className="form-actions">
          <button type="submit" className="button" disabled={fetching} data-testid="merge-submit">
            {confirming ? `Confirm: merge ${tag} into ${target}` : 'Merge'}
          </button>
          {confirming && (
            <button type="button" className="button secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          )}
        </div>
      </div>
      {error && (
        <p role="alert" className="field-error" data-testid="merge-error">
          {error}
        </p>
      )}
    </form>
  );
}
