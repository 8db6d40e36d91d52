import { useState } from 'react';
import { useMutation, type CombinedError } from 'urql';
import type { TicketStatus } from '@/gql/graphql';
import { STATUS_LABELS } from '@/utils/format';
import { ChangeStatusMutation } from '../api/ticket';
import { statusActionLabel, type TicketDetail } from '../types';
import styles from './ticket-details.module.css';

/**
 * One button per status move the server allows the caller now
 * (`allowedStatuses`), with an optional note, sent with the version shown.
 */
export function StatusActions({
  ticket,
  onDone,
}: {
  ticket: Pick<TicketDetail, 'number' | 'status' | 'version' | 'allowedStatuses'>;
  onDone: (error: CombinedError | undefined, success: string) => boolean;
}) {
  const [note, setNote] = useState('');
  const [{ fetching }, changeStatus] = useMutation(ChangeStatusMutation);

  if (ticket.allowedStatuses.length === 0) return null;

  const move = async (status: TicketStatus) => {
    const result = await changeStatus({
      number: ticket.number,
      status,
      note: note.trim() ? note.trim() : null,
      version: ticket.version,
    });
    if (onDone(result.error, `${ticket.number} is now ${result.data?.changeStatus.statusLabel ?? STATUS_LABELS[status]}.`)) {
      setNote('');
    }
  };

  return (
    <div>
      <div className={styles.actions} role="group" aria-label="Change status" data-testid="status-actions">
        {ticket.allowedStatuses.map((s) => (
          <button
            key={s}
            type="button"
            className={s === 'CANCELLED' ? 'button secondary' : 'button'}
            data-testid={`status-${s}`}
            data-status={s}
            title={`Move to ${STATUS_LABELS[s]}`}
            disabled={fetching}
            onClick={() => void move(s)}
          >
            {statusActionLabel(s, ticket.status)}
          </button>
        ))}
      </div>
      <div className={`field ${styles.noteField}`}>
        <label htmlFor="status-note">Note with the status change (optional)</label>
        <textarea
          id="status-note"
          data-testid="status-note"
          rows={2}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
      </div>
    </div>
  );
}
