import { ATTACHMENTS_PATH, CSRF_HEADER } from '@/config/api';

/** A staged upload, as `POST /api/attachments` answers it (201). */
export type UploadedAttachment = {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  createdAt: string;
};

/** An upload the daemon refused or that never reached it (`status` 0). */
export class UploadError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'UploadError';
    this.status = status;
  }
}

/** A sentence for a refusal without a usable message in its body. */
function fallbackMessage(status: number): string {
  switch (status) {
    case 0:
      return 'The upload did not reach the itosm server. Check your connection and try again.';
    case 400:
      return 'The file was not accepted.';
    case 401:
      return 'Your session has ended. Please log in again.';
    case 403:
      return 'You are not allowed to upload files.';
    case 413:
      return 'The file is too large.';
    case 429:
      return 'Too many uploads at once. Wait for the others to finish and try again.';
    case 503:
      return 'The service is temporarily unavailable. Please try again in a moment.';
    default:
      return `The upload failed (HTTP ${status}). Please try again.`;
  }
}

/** The daemon's `{ error: { code, message } }`, when the body is that. */
function errorMessage(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    const message = parsed?.error?.message;
    return typeof message === 'string' && message.trim() ? message : null;
  } catch {
    return null;
  }
}

export type UploadOptions = {
  /** Bytes sent so far, of `total`, as the browser reports them. */
  onProgress?: (loaded: number, total: number) => void;
  /** Aborting it cancels the upload; the promise rejects with an `AbortError`. */
  signal?: AbortSignal;
};

/**
 * Sends one file to `POST /api/attachments?filename=…` as the raw body.
 * `XMLHttpRequest` rather than `fetch`, which reports no upload progress.
 * Same-origin credentials (`withCredentials` stays false: the session cookie
 * goes to this origin only) plus the CSRF header the daemon asks of
 * cookie-authenticated requests. Rejects with an `UploadError` carrying the
 * server's message (413: over the limit; 429: too many at once; …).
 */
export function uploadAttachment(file: File, { onProgress, signal }: UploadOptions = {}): Promise<UploadedAttachment> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${ATTACHMENTS_PATH}?filename=${encodeURIComponent(file.name)}`);
    xhr.withCredentials = false;
    xhr.setRequestHeader(CSRF_HEADER, '1');
    // The server sniffs the type from the bytes; this is only a courtesy.
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.responseType = 'text';
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);

    xhr.upload.onprogress = (e: ProgressEvent) => {
      onProgress?.(e.loaded, e.lengthComputable && e.total > 0 ? e.total : file.size);
    };
    xhr.onload = () => {
      done();
      const body = typeof xhr.responseText === 'string' ? xhr.responseText : '';
      if (xhr.status === 201 || xhr.status === 200) {
        try {
          const attachment = JSON.parse(body) as UploadedAttachment;
          if (attachment && typeof attachment.id === 'string') {
            onProgress?.(file.size, file.size);
            resolve(attachment);
            return;
          }
        } catch {
          // falls through to the refusal below
        }
        reject(new UploadError(xhr.status, 'The server gave an answer the portal does not understand.'));
        return;
      }
      reject(new UploadError(xhr.status, errorMessage(body) ?? fallbackMessage(xhr.status)));
    };
    xhr.onerror = () => {
      done();
      reject(new UploadError(0, fallbackMessage(0)));
    };
    xhr.ontimeout = () => {
      done();
      reject(new UploadError(0, 'The upload took too long. Please try again.'));
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
    };
    xhr.send(file);
  });
}

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/**
 * Discards one's own upload not yet sent with a ticket or comment
 * (`DELETE /api/attachments/{id}`, 204). Whether it worked matters little:
 * the daemon purges abandoned uploads anyway, so this never throws.
 */
export async function discardAttachment(id: string): Promise<boolean> {
  try {
    const response = await fetch(`${ATTACHMENTS_PATH}/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      credentials: 'same-origin',
      headers: { [CSRF_HEADER]: '1' },
    });
    return response.ok;
  } catch {
    return false;
  }
}
