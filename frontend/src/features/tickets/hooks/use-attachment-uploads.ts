import { useCallback, useEffect, useRef, useState } from 'react';
import { useAuth } from '@/lib/auth';
import { formatBytes } from '@/utils/format';
import { discardAttachment, isAbort, uploadAttachment, UploadError } from '../api/attachments';

/** The server's bounds (`limits`): bytes per file, files per ticket or comment. */
export type AttachmentLimits = { maxAttachmentBytes: number; maxAttachments: number };

/** `queued`: chosen, waiting for a free upload slot (the daemon takes a few at a time per user). */
export type UploadState = 'queued' | 'uploading' | 'done' | 'error';

/** One chosen file: being uploaded, uploaded (with its id), or refused (with why). */
export type UploadItem = {
  key: string;
  file: File;
  state: UploadState;
  /** Bytes sent so far, of `total`. */
  loaded: number;
  total: number;
  id?: string;
  error?: string;
};

export type AttachmentUploads = {
  items: ReadonlyArray<UploadItem>;
  /** Why some chosen files were not taken (too large, empty, too many); null when all were. */
  notice: string | null;
  /** The uploaded files' ids, for `attachmentIds`. */
  ids: string[];
  /** Some file is still queued or on its way. */
  uploading: boolean;
  failed: boolean;
  add: (files: Iterable<File>) => void;
  remove: (key: string) => void;
  retry: (key: string) => void;
  /**
   * After the ticket or comment was refused: the server discarded the
   * uploads it named, so each is sent again from the file kept here.
   */
  uploadAgain: () => void;
  /** After they went with a ticket or comment: forget them (they are not discarded). */
  clear: () => void;
};

let nextKey = 0;

/**
 * Uploads sent at once by one form: the daemon refuses (429) a user's
 * fourth upload in flight, so the rest wait their turn.
 */
export const PARALLEL_UPLOADS = 2;

/** The percentage of an upload, 0-100. */
export function uploadPercent(item: Pick<UploadItem, 'state' | 'loaded' | 'total'>): number {
  if (item.state === 'done') return 100;
  if (item.total <= 0 || item.state === 'queued') return 0;
  // 100 only once the server has answered with the id.
  return Math.min(99, Math.floor((item.loaded / item.total) * 100));
}

const names = (files: File[]) => files.map((f) => `“${f.name}”`).join(', ');

/**
 * The files of one form and their uploads, outside React: XHR callbacks
 * outlive renders, so the list lives here and each change is handed to
 * `publish` (the hook's state).
 */
class UploadQueue {
  private items: UploadItem[] = [];
  private readonly controllers = new Map<string, AbortController>();

  constructor(
    private readonly publish: (items: UploadItem[]) => void,
    /** The daemon refused the session (401): it is over, as for GraphQL. */
    private readonly onUnauthenticated: () => void,
  ) {}

  private set(items: UploadItem[]) {
    this.items = items;
    this.publish(items);
  }

  private patch(key: string, part: Partial<UploadItem>) {
    this.set(this.items.map((item) => (item.key === key ? { ...item, ...part } : item)));
  }

  private has(key: string) {
    return this.items.some((item) => item.key === key);
  }

  /** Starts queued uploads while there is a free slot. */
  private pump() {
    let running = this.items.filter((i) => i.state === 'uploading').length;
    for (const item of this.items) {
      if (running >= PARALLEL_UPLOADS) break;
      if (item.state !== 'queued') continue;
      running += 1;
      this.start(item);
    }
  }

  private start({ key, file }: UploadItem) {
    const controller = new AbortController();
    this.controllers.set(key, controller);
    this.patch(key, { state: 'uploading', loaded: 0, total: file.size, error: undefined });
    uploadAttachment(file, {
      signal: controller.signal,
      onProgress: (loaded, total) => {
        if (this.controllers.get(key) === controller) this.patch(key, { loaded, total });
      },
    })
      .then(
        (uploaded) => {
          if (this.controllers.get(key) !== controller || !this.has(key)) {
            // Removed (or the form went away) just as it arrived.
            void discardAttachment(uploaded.id);
            return;
          }
          this.patch(key, { state: 'done', id: uploaded.id, loaded: file.size, total: file.size });
        },
        (err: unknown) => {
          if (isAbort(err) || this.controllers.get(key) !== controller) return;
          if (err instanceof UploadError && err.status === 401) this.onUnauthenticated();
          this.patch(key, {
            state: 'error',
            error: err instanceof Error ? err.message : 'The upload failed. Please try again.',
          });
        },
      )
      .finally(() => {
        if (this.controllers.get(key) === controller) this.controllers.delete(key);
        this.pump();
      });
  }

  /** Takes the files within the limits and queues them; says why the others were not taken. */
  add(chosen: Iterable<File>, { maxAttachmentBytes, maxAttachments }: AttachmentLimits): string | null {
    const empty: File[] = [];
    const tooLarge: File[] = [];
    const overCount: File[] = [];
    const taken: UploadItem[] = [];
    let room = maxAttachments - this.items.length;
    for (const file of chosen) {
      if (file.size === 0) empty.push(file);
      else if (file.size > maxAttachmentBytes) tooLarge.push(file);
      else if (room <= 0) overCount.push(file);
      else {
        room -= 1;
        nextKey += 1;
        taken.push({ key: `upload-${nextKey}`, file, state: 'queued', loaded: 0, total: file.size });
      }
    }
    if (taken.length) {
      this.set([...this.items, ...taken]);
      this.pump();
    }
    const problems: string[] = [];
    if (tooLarge.length) {
      problems.push(
        `${names(tooLarge)} ${tooLarge.length === 1 ? 'is' : 'are'} too large: each file may be at most ${formatBytes(maxAttachmentBytes)}.`,
      );
    }
    if (empty.length) problems.push(`${names(empty)} ${empty.length === 1 ? 'is' : 'are'} empty.`);
    if (overCount.length) {
      problems.push(
        `At most ${maxAttachments} file${maxAttachments === 1 ? '' : 's'} can be attached; ${names(overCount)} not added.`,
      );
    }
    return problems.length ? problems.join(' ') : null;
  }

  remove(key: string) {
    const item = this.items.find((i) => i.key === key);
    if (!item) return;
    const controller = this.controllers.get(key);
    this.controllers.delete(key);
    this.set(this.items.filter((i) => i.key !== key));
    controller?.abort();
    if (item.id) void discardAttachment(item.id);
    this.pump();
  }

  retry(key: string) {
    const item = this.items.find((i) => i.key === key);
    if (!item || item.state !== 'error') return;
    this.patch(key, { state: 'queued', loaded: 0, error: undefined });
    this.pump();
  }

  uploadAgain() {
    for (const item of this.items) {
      if (item.state !== 'done') continue;
      // Already discarded by the refusal, most likely; a request that never
      // reached the server left it staged, so it is discarded here.
      if (item.id) void discardAttachment(item.id);
      this.patch(item.key, { state: 'queued', loaded: 0, id: undefined });
    }
    this.pump();
  }

  /** Forgets every file; with `discard`, their uploads are discarded on the server too. */
  clear(discard: boolean) {
    const controllers = [...this.controllers.values()];
    this.controllers.clear();
    for (const controller of controllers) controller.abort();
    if (discard) for (const item of this.items) if (item.id) void discardAttachment(item.id);
    this.set([]);
  }
}

/**
 * Files for a new ticket or comment, each uploaded as soon as it is chosen
 * (`POST /api/attachments`, with progress, a couple at a time). Checked
 * first against the server's limits; removing one discards its upload on
 * the server. Uploads left behind when the form goes away are discarded too.
 */
export function useAttachmentUploads(limits: AttachmentLimits): AttachmentUploads {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const { signOut } = useAuth();
  const signOutRef = useRef(signOut);
  useEffect(() => {
    signOutRef.current = signOut;
  }, [signOut]);
  const [queue] = useState(
    () => new UploadQueue(setItems, () => void signOutRef.current('Your session has ended. Please log in again.')),
  );

  // The form going away (navigation, "Make another request") takes its
  // unsent uploads with it.
  useEffect(() => () => queue.clear(true), [queue]);

  const add = useCallback((files: Iterable<File>) => setNotice(queue.add(files, limits)), [queue, limits]);
  const remove = useCallback(
    (key: string) => {
      queue.remove(key);
      setNotice(null);
    },
    [queue],
  );
  const retry = useCallback((key: string) => queue.retry(key), [queue]);
  const uploadAgain = useCallback(() => queue.uploadAgain(), [queue]);
  const clear = useCallback(() => {
    queue.clear(false);
    setNotice(null);
  }, [queue]);

  return {
    items,
    notice,
    ids: items.filter((i) => i.state === 'done' && i.id).map((i) => i.id as string),
    uploading: items.some((i) => i.state === 'uploading' || i.state === 'queued'),
    failed: items.some((i) => i.state === 'error'),
    add,
    remove,
    retry,
    uploadAgain,
    clear,
  };
}
