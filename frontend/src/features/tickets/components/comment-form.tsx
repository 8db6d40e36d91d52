import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useToast } from '@/components/ui/toast';
import { describeError } from '@/lib/errors';
import { AddCommentMutation } from '../api/ticket';
import styles from './ticket-details.module.css';

/** A comment on the ticket; staff may mark it as an internal note. */
export function CommentForm({
  number,
  canPostInternal,
  onAdded,
}: {
  number: string;
  canPostInternal: boolean;
  onAdded: () => void;
}) {
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, addComment] = useMutation(AddCommentMutation);
  const toast = useToast();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) {
      setError('Write something first.');
      return;
    }
    setError(null);
    const result = await addComment({ number, body, internal: canPostInternal && internal });
    if (result.error || !result.data) {
      setError(describeError(result.error) || 'The comment could not be added.');
      return;
    }
    toast.show(result.data.addComment.internal ? 'Internal note added.' : 'Comment added.', 'success');
    setBody('');
    setInternal(false);
    onAdded();
  };

  return (
    <form onSubmit={submit} noValidate className={`card ${styles.panel}`} data-testid="comment-form">
      <div className={`field ${styles.commentField}`}>
        <label htmlFor="comment-body">Add a comment</label>
        <textarea
          id="comment-body"
          data-testid="comment-body"
          rows={3}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'comment-error' : undefined}
        />
      </div>
      {canPostInternal && (
        <div className="field">
          <label className={styles.checkbox}>
            <input
              type="checkbox"
              data-testid="comment-internal"
              checked={internal}
              onChange={(e) => setInternal(e.target.checked)}
            />
            Internal note (staff only)
          </label>
        </div>
      )}
      {error && (
        <p id="comment-error" role="alert" className="field-error" data-testid="comment-error">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button" data-testid="comment-submit" disabled={fetching}>
          {fetching ? 'Adding…' : 'Add comment'}
        </button>
      </div>
    </form>
  );
}
