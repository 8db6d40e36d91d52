import { useRef, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import type { RequestType } from '@/gql/graphql';
import { MAX_SUBJECT_CHARS } from '@/config/api';
import { describeError } from '@/lib/errors';
import { charCount, REQUEST_TYPE_LABELS, REQUEST_TYPES } from '@/utils/format';
import { CreateTicketMutation } from '../api/new-request';
import { useAttachmentUploads, type AttachmentLimits } from '../hooks/use-attachment-uploads';
import { AttachmentPicker } from './attachment-picker';
import { DevicePicker } from './device-picker';
import { needsSoftware, validateRequest, type RequestFormErrors, type RequestFormValues } from './request-form-rules';
import styles from './new-request-form.module.css';

export type SoftwareOption = { id: string; label: string; retired?: boolean };
export type RequestTypeOption = { type: RequestType; explanation: string };
export type CreatedTicket = { number: string; statusLabel: string; subject?: string };

export function NewRequestForm({
  software,
  requestTypes = [],
  maxDescriptionChars,
  attachmentLimits,
  onCreated,
}: {
  software: ReadonlyArray<SoftwareOption>;
  /** Each type's explanation, shown under the select once it is chosen. */
  requestTypes?: ReadonlyArray<RequestTypeOption>;
  maxDescriptionChars: number;
  /** `limits.maxAttachmentBytes` and `maxAttachments`, from the server. */
  attachmentLimits: AttachmentLimits;
  onCreated: (ticket: CreatedTicket) => void;
}) {
  const [values, setValues] = useState<RequestFormValues>({ requestType: '', softwareId: '', subject: '', description: '' });
  // The server lists only titles that may be requested; a retired one that
  // slipped in (an older cached answer) is still never offered.
  const offered = software.filter((s) => !s.retired);
  const explanation = requestTypes.find((t) => t.type === values.requestType)?.explanation;
  const [assetTags, setAssetTags] = useState<string[]>([]);
  const [submitted, setSubmitted] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [{ fetching }, createTicket] = useMutation(CreateTicketMutation);
  const uploads = useAttachmentUploads(attachmentLimits);
  const refs = {
    requestType: useRef<HTMLSelectElement>(null),
    softwareId: useRef<HTMLSelectElement>(null),
    subject: useRef<HTMLInputElement>(null),
    description: useRef<HTMLTextAreaElement>(null),
  };

  const errors: RequestFormErrors = validateRequest(values, maxDescriptionChars);
  const count = charCount(values.description);
  const over = count > maxDescriptionChars;
  const showSoftware = needsSoftware(values.requestType);
  // Field errors appear after the first submit; the length limit shows at once.
  const shown = (k: keyof RequestFormValues) =>
    submitted || (k === 'description' && over) ? errors[k] : undefined;

  const set = <K extends keyof RequestFormValues>(k: K, v: RequestFormValues[K]) =>
    setValues((prev) => ({ ...prev, [k]: v }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setServerError(null);
    const first = (['requestType', 'softwareId', 'subject', 'description'] as const).find((k) => errors[k]);
    if (first) {
      refs[first].current?.focus();
      return;
    }
    if (uploads.uploading) {
      setServerError('Wait until the files have finished uploading.');
      return;
    }
    if (uploads.failed) {
      setServerError('Some files were not uploaded: retry or remove them first.');
      return;
    }
    const requestType = values.requestType as RequestType;
    const attachmentIds = uploads.ids;
    const result = await createTicket({
      input: {
        requestType,
        subject: values.subject.trim(),
        description: values.description,
        ...(needsSoftware(requestType) ? { softwareId: values.softwareId } : {}),
        ...(attachmentIds.length ? { attachmentIds } : {}),
        ...(assetTags.length ? { assetTags } : {}),
      },
    });
    if (result.error || !result.data) {
      const why = describeError(result.error) || 'The ticket could not be created.';
      if (attachmentIds.length) {
        // The server discards the uploads a refused ticket named: send the
        // same files again so that the next attempt has them.
        uploads.uploadAgain();
        setServerError(`${why} Your files are being uploaded again; send the request once they are done.`);
      } else {
        setServerError(why);
      }
      return;
    }
    // Sent with the ticket: they must not be discarded as the form goes away.
    uploads.clear();
    onCreated(result.data.createTicket);
  };

  return (
    <form onSubmit={submit} noValidate className="card" data-testid="new-request-form">
      <div className="field">
        <label htmlFor="request-type">Request type</label>
        <select
          id="request-type"
          name="requestType"
          ref={refs.requestType}
          required
          value={values.requestType}
          onChange={(e) => {
            const t = e.target.value as RequestType | '';
            setValues((prev) => ({ ...prev, requestType: t, softwareId: needsSoftware(t) ? prev.softwareId : '' }));
          }}
          aria-invalid={shown('requestType') ? true : undefined}
          aria-describedby={
            [explanation ? 'request-type-explanation' : '', shown('requestType') ? 'request-type-error' : '']
              .filter(Boolean)
              .join(' ') || undefined
          }
        >
          <option value="">Choose a request type…</option>
          {REQUEST_TYPES.map((t) => (
            <option key={t} value={t}>
              {REQUEST_TYPE_LABELS[t]}
            </option>
          ))}
        </select>
        {explanation && (
          <span id="request-type-explanation" className="hint" data-testid="request-type-explanation">
            {explanation}
          </span>
        )}
        {shown('requestType') && (
          <span id="request-type-error" className="field-error">
            {shown('requestType')}
          </span>
        )}
      </div>

      {showSoftware && (
        <div className="field">
          <label htmlFor="software">Software</label>
          <select
            id="software"
            name="softwareId"
            ref={refs.softwareId}
            required
            value={values.softwareId}
            onChange={(e) => set('softwareId', e.target.value)}
            aria-invalid={shown('softwareId') ? true : undefined}
            aria-describedby={shown('softwareId') ? 'software-error' : undefined}
          >
            <option value="">Choose software…</option>
            {offered.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
          {offered.length === 0 && <span className="hint">The software catalog is empty.</span>}
          {shown('softwareId') && (
            <span id="software-error" className="field-error">
              {shown('softwareId')}
            </span>
          )}
        </div>
      )}

      <div className="field">
        <label htmlFor="subject">Subject</label>
        <input
          id="subject"
          name="subject"
          type="text"
          ref={refs.subject}
          required
          maxLength={MAX_SUBJECT_CHARS}
          value={values.subject}
          onChange={(e) => set('subject', e.target.value)}
          aria-invalid={shown('subject') ? true : undefined}
          aria-describedby={`subject-count${shown('subject') ? ' subject-error' : ''}`}
          data-testid="subject"
        />
        <span id="subject-count" className={styles.counter} data-testid="subject-count">
          {charCount(values.subject)} / {MAX_SUBJECT_CHARS} characters
        </span>
        {shown('subject') && (
          <span id="subject-error" className="field-error">
            {shown('subject')}
          </span>
        )}
      </div>

      <div className="field">
        <label htmlFor="description">Description</label>
        <textarea
          id="description"
          name="description"
          ref={refs.description}
          required
          rows={6}
          value={values.description}
          onChange={(e) => set('description', e.target.value)}
          aria-invalid={shown('description') ? true : undefined}
          aria-describedby={`description-count${shown('description') ? ' description-error' : ''}`}
        />
        <span
          id="description-count"
          className={`${styles.counter} ${over ? styles.over : ''}`}
          data-testid="description-count"
        >
          {count} / {maxDescriptionChars} characters
        </span>
        {shown('description') && (
          <span id="description-error" className="field-error">
            {shown('description')}
          </span>
        )}
      </div>

      <DevicePicker selected={assetTags} onChange={setAssetTags} disabled={fetching} />

      <AttachmentPicker uploads={uploads} limits={attachmentLimits} disabled={fetching} />

      {serverError && (
        <p role="alert" className="field-error" data-testid="create-error">
          {serverError}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button" disabled={fetching || uploads.uploading} data-testid="create-submit">
          {fetching ? 'Sending…' : 'Submit request'}
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
