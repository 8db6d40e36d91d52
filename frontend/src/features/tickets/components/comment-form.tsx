import { useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { useToast } from '@/components/ui/toast';
import { describeError } from '@/lib/errors';
import { AddCommentMutation } from '../api/ticket';
import { useAttachmentUploads, type AttachmentLimits } from '../hooks/use-attachment-uploads';
import { AttachmentPicker } from './attachment-picker';
import styles from './ticket-details.module.css';

/** A comment on the ticket; staff may mark it as an internal note. */
export function CommentForm({
  number,
  canPostInternal,
  attachmentLimits,
  onAdded,
}: {
  number: string;
  canPostInternal: boolean;
  attachmentLimits: AttachmentLimits;
  onAdded: () => void;
}) {
  const [body, setBody] = useState('');
  const [internal, setInternal] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, addComment] = useMutation(AddCommentMutation);
  const toast = useToast();
  const uploads = useAttachmentUploads(attachmentLimits);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!body.trim()) {
      setError('Write something first.');
      return;
    }
    if (uploads.uploading) {
      setError('Wait until the files have finished uploading.');
      return;
    }
    if (uploads.failed) {
      setError('Some files were not uploaded: retry or remove them first.');
      return;
    }
    setError(null);
    const attachmentIds = uploads.ids;
    const result = await addComment({
      number,
      body,
      internal: canPostInternal && internal,
      ...(attachmentIds.length ? { attachmentIds } : {}),
    });
    if (result.error || !result.data) {
      const why = describeError(result.error) || 'The comment could not be added.';
      if (attachmentIds.length) {
        // The server discards the uploads a refused comment named.
        uploads.uploadAgain();
        setError(`${why} Your files are being uploaded again; send the comment once they are done.`);
      } else {
        setError(why);
      }
      return;
    }
    uploads.clear();
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
      <AttachmentPicker
        uploads={uploads}
        limits={attachmentLimits}
        disabled={fetching}
        label={internal && canPostInternal ? 'Attach files (staff only, like the note)' : 'Attach files'}
      />
      {error && (
        <p id="comment-error" role="alert" className="field-error" data-testid="comment-error">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button
          type="submit"
          className="button"
          data-testid="comment-submit"
          disabled={fetching || uploads.uploading}
        >
          {fetching ? 'Adding…' : 'Add comment'}
        </button>
        {uploads.uploading && (
          <span className="hint" role="status" data-testid="uploads-pending">
            Waiting for the files to finish uploading…
          </span>
        )}
      </div>
    </form>
  );
}
