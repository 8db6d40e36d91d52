import { useId, type ChangeEvent } from 'react';
import { formatBytes } from '@/utils/format';
import { uploadPercent, type AttachmentLimits, type AttachmentUploads, type UploadItem } from '../hooks/use-attachment-uploads';
import styles from './attachments.module.css';

const STATUS_TEXT: Record<UploadItem['state'], string> = {
  queued: 'Waiting to upload…',
  uploading: 'Uploading…',
  done: 'Uploaded',
  error: 'Not uploaded',
};

/**
 * A file picker (several at once) whose files upload at once, each with a
 * progress bar, a remove button and, when refused, the server's reason and
 * a retry. The limits are shown up front and checked before uploading.
 */
export function AttachmentPicker({
  uploads,
  limits,
  disabled = false,
  label = 'Attach files',
}: {
  uploads: AttachmentUploads;
  limits: AttachmentLimits;
  disabled?: boolean;
  label?: string;
}) {
  const id = useId();
  const inputId = `${id}-files`;
  const hintId = `${id}-hint`;
  const noticeId = `${id}-notice`;
  const errorId = (item: UploadItem) => `${id}-${item.key}-error`;
  const full = uploads.items.length >= limits.maxAttachments;
  const described = [hintId, uploads.notice ? noticeId : '', ...uploads.items.filter((i) => i.error).map(errorId)]
    .filter(Boolean)
    .join(' ');

  const choose = (e: ChangeEvent<HTMLInputElement>) => {
    const files = Array.from(e.target.files ?? []);
    // Emptied so that the same file can be chosen again after removing it.
    e.target.value = '';
    if (files.length) uploads.add(files);
  };

  return (
    <div className={`field ${styles.picker}`} data-testid="attachment-picker">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        type="file"
        multiple
        onChange={choose}
        disabled={disabled || full}
        aria-describedby={described}
        aria-invalid={uploads.notice || uploads.failed ? true : undefined}
        data-testid="attachment-input"
      />
      <span id={hintId} className="hint" data-testid="attachment-limits">
        {full
          ? `That is the most files you can attach (${limits.maxAttachments}); remove one to add another.`
          : `Optional. Up to ${limits.maxAttachments} file${limits.maxAttachments === 1 ? '' : 's'}, at most ${formatBytes(limits.maxAttachmentBytes)} each.`}
      </span>
      {uploads.notice && (
        <span id={noticeId} role="alert" className="field-error" data-testid="attachments-error">
          {uploads.notice}
        </span>
      )}
      {uploads.items.length > 0 && (
        <ul className={styles.uploads} data-testid="upload-list" aria-label="Chosen files">
          {uploads.items.map((item) => {
            const percent = uploadPercent(item);
            return (
              <li
                key={item.key}
                className={styles.upload}
                data-testid="upload-item"
                data-state={item.state}
                data-filename={item.file.name}
              >
                <span className={styles.name}>
                  {item.file.name} <span className={styles.size}>{formatBytes(item.file.size)}</span>
                </span>
                <span className={styles.buttons}>
                  {item.state === 'error' && (
                    <button
                      type="button"
                      className="button secondary small"
                      onClick={() => uploads.retry(item.key)}
                      aria-label={`Upload ${item.file.name} again`}
                      data-testid="upload-retry"
                    >
                      Retry
                    </button>
                  )}
                  <button
                    type="button"
                    className="button secondary small"
                    onClick={() => uploads.remove(item.key)}
                    disabled={disabled}
                    aria-label={`Remove ${item.file.name}`}
                    data-testid="upload-remove"
                  >
                    Remove
                  </button>
                </span>
                <div
                  className={styles.bar}
                  role="progressbar"
                  aria-label={`Upload of ${item.file.name}`}
                  aria-valuemin={0}
                  aria-valuemax={100}
                  aria-valuenow={percent}
                  aria-valuetext={
                    item.state === 'uploading'
                      ? `${percent}% (${formatBytes(item.loaded)} of ${formatBytes(item.total)})`
                      : STATUS_TEXT[item.state]
                  }
                  aria-describedby={item.error ? errorId(item) : undefined}
                  data-testid="upload-progress"
                  data-state={item.state}
                >
                  <div className={styles.fill} style={{ width: `${percent}%` }} />
                </div>
                <span className={styles.status} data-testid="upload-status">
                  {item.state === 'uploading' ? `${STATUS_TEXT.uploading} ${percent}%` : STATUS_TEXT[item.state]}
                </span>
                {item.error && (
                  <span id={errorId(item)} role="alert" className={styles.itemError} data-testid="upload-error">
                    {item.error}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
