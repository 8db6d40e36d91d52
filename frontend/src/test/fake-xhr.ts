import { vi } from 'vitest';

/**
 * A stand-in for `XMLHttpRequest` (jsdom's would really send): it records
 * what the code under test asked for, and the test plays the server — upload
 * progress, the answer, a network failure. `installFakeXhr()` puts it in
 * place for one test (`vi.unstubAllGlobals()` in the setup takes it away).
 */
export class FakeXhr {
  static all: FakeXhr[] = [];

  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: unknown = undefined;
  withCredentials = false;
  responseType = '';
  status = 0;
  responseText = '';
  aborted = false;
  upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  ontimeout: (() => void) | null = null;

  constructor() {
    FakeXhr.all.push(this);
  }

  /** The `i`-th request made (0 first); fails the test when there is none. */
  static at(i: number): FakeXhr {
    const xhr = FakeXhr.all[i];
    if (!xhr) throw new Error(`no request #${i} (${FakeXhr.all.length} made)`);
    return xhr;
  }

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }

  setRequestHeader(name: string, value: string) {
    this.headers[name] = value;
  }

  send(body: unknown) {
    this.body = body;
  }

  abort() {
    this.aborted = true;
    this.onabort?.();
  }

  /** The browser reporting `loaded` of `total` bytes sent. */
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true } as ProgressEvent);
  }

  /** The server's answer. */
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.onload?.();
  }

  /** The request never reached the server. */
  fail() {
    this.onerror?.();
  }

  /** The filename the upload named (`?filename=`). */
  get filename(): string | null {
    return new URL(this.url, 'http://portal.test').searchParams.get('filename');
  }
}

export function installFakeXhr() {
  FakeXhr.all = [];
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  return FakeXhr;
}

/** A 201 answer for an upload of `file` with the id `id`. */
export function uploaded(id: string, file: { name: string; size: number }) {
  return {
    id,
    filename: file.name,
    contentType: 'application/octet-stream',
    size: file.size,
    sha256: '0'.repeat(64),
    createdAt: '2026-11-20T10:00:00Z',
  };
}
