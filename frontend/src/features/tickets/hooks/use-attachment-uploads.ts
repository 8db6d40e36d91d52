import { useCallback, useEffect, useRef, useState } from 'react';
import { formatBytes } from '@/utils/format';
import { discardAttachment, isAbort, uploadAttachment } from '../api/attachments';

/** The server's bounds (`limits`): bytes per file, files per ticket or comment. */
export type AttachmentLimits = { maxAttachmentBytes: number; maxAttachments: number };

export type UploadState = 'uploading' | 'done' | 'error';

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

/** The percentage of an upload, 0-100. */
export function uploadPercent(item: Pick<UploadItem, 'state' | 'loaded' | 'total'>): number {
  if (item.state === 'done') return 100;
  if (item.total <= 0) return 0;
  // 100 only once the server has answered with the id.
  return Math.min(99, Math.floor((item.loaded / item.total) * 100));
}

const names = (files: File[]) => files.map((f) => `“${f.name}”`).join(', ');

/**
 * Files for a new ticket or comment, each uploaded as soon as it is chosen
 * (`POST /api/attachments`, with progress). Checked first against the
 * server's limits; removing one discards its upload on the server. Uploads
 * left behind when the form goes away are discarded too.
 */
export function useAttachmentUploads(limits: AttachmentLimits): AttachmentUploads {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  // The latest list, for callbacks that outlive a render (XHR events, unmount).
  const latest = useRef<UploadItem[]>([]);
  const controllers = useRef(new Map<string, AbortController>());

  const apply = useCallback((change: (prev: UploadItem[]) => UploadItem[]) => {
    latest.current = change(latest.current);
    setItems(latest.current);
  }, []);

  const patch = useCallback(
    (key: string, part: Partial<UploadItem>) =>
      apply((prev) => prev.map((item) => (item.key === key ? { ...item, ...part } : item))),
    [apply],
  );

  const begin = useCallback(
    (key: string, file: File) => {
      const controller = new AbortController();
      controllers.current.set(key, controller);
      uploadAttachment(file, {
        signal: controller.signal,
        onProgress: (loaded, total) => patch(key, { loaded, total }),
      }).then(
        (uploaded) => {
          controllers.current.delete(key);
          if (!latest.current.some((item) => item.key === key)) {
            // Removed (or the form went away) just as it arrived.
            void discardAttachment(uploaded.id);
            return;
          }
          patch(key, { state: 'done', id: uploaded.id, loaded: file.size, total: file.size });
        },
        (err: unknown) => {
          if (controllers.current.get(key) === controller) controllers.current.delete(key);
          if (isAbort(err)) return;
          patch(key, {
            state: 'error',
            error: err instanceof Error ? err.message : 'The upload failed. Please try again.',
          });
        },
      );
    },
    [patch],
  );

  const add = useCallback(
    (chosen: Iterable<File>) => {
      const { maxAttachmentBytes, maxAttachments } = limits;
      const problems: string[] = [];
      const empty: File[] = [];
      const tooLarge: File[] = [];
      const overCount: File[] = [];
      const taken: UploadItem[] = [];
      let room = maxAttachments - latest.current.length;
      for (const file of chosen) {
        if (file.size === 0) empty.push(file);
        else if (file.size > maxAttachmentBytes) tooLarge.push(file);
        else if (room <= 0) overCount.push(file);
        else {
          room -= 1;
          nextKey += 1;
          taken.push({ key: `upload-${nextKey}`, file, state: 'uploading', loaded: 0, total: file.size });
        }
      }
      if (tooLarge.length) {
        problems.push(
          `${names(tooLarge)} ${tooLarge.length === 1 ? 'is' : 'are'} too large: each file may be at most ${formatBytes(maxAttachmentBytes)}.`,
        );
      }
      if (empty.length) problems.push(`${names(empty)} ${empty.length === 1 ? 'is' : 'are'} empty.`);
      if (overCount.length) {
        problems.push(`At most ${maxAttachments} file${maxAttachments === 1 ? '' : 's'} can be attached; ${names(overCount)} not added.`);
      }
      setNotice(problems.length ? problems.join(' ') : null);
      if (!taken.length) return;
      apply((prev) => [...prev, ...taken]);
      for (const item of taken) begin(item.key, item.file);
    },
    [limits, apply, begin],
  );

  const remove = useCallback(
    (key: string) => {
      const item = latest.current.find((i) => i.key === key);
      if (!item) return;
      apply((prev) => prev.filter((i) => i.key !== key));
      controllers.current.get(key)?.abort();
      controllers.current.delete(key);
      if (item.id) void discardAttachment(item.id);
      setNotice(null);
    },
    [apply],
  );

  const retry = useCallback(
    (key: string) => {
      const item = latest.current.find((i) => i.key === key);
      if (!item || item.state !== 'error') return;
      patch(key, { state: 'uploading', loaded: 0, total: item.file.size, error: undefined });
      begin(key, item.file);
    },
    [patch, begin],
  );

  const uploadAgain = useCallback(() => {
    const again = latest.current.filter((i) => i.state === 'done');
    for (const item of again) {
      // Already discarded by the refusal, most likely; a request that never
      // reached the server left it staged, so it is discarded here.
      if (item.id) void discardAttachment(item.id);
      patch(item.key, { state: 'uploading', loaded: 0, total: item.file.size, id: undefined });
      begin(item.key, item.file);
    }
  }, [patch, begin]);

  const clear = useCallback(() => {
    for (const controller of controllers.current.values()) controller.abort();
    controllers.current.clear();
    apply(() => []);
    setNotice(null);
  }, [apply]);

  // The form going away (navigation, "Make another request") takes its
  // unsent uploads with it.
  useEffect(() => {
    const live = controllers.current;
    return () => {
      for (const controller of live.values()) controller.abort();
      live.clear();
      for (const item of latest.current) if (item.id) void discardAttachment(item.id);
      latest.current = [];
    };
  }, []);

  return {
    items,
    notice,
    ids: items.filter((i) => i.state === 'done' && i.id).map((i) => i.id as string),
    uploading: items.some((i) => i.state === 'uploading'),
    failed: items.some((i) => i.state === 'error'),
    add,
    remove,
    retry,
    uploadAgain,
    clear,
  };
}
