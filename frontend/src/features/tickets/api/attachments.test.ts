import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeXhr, installFakeXhr, uploaded } from '@/test/fake-xhr';
import { sessionFetch } from '@/test/setup';
import { discardAttachment, isAbort, uploadAttachment, UploadError } from './attachments';

const file = (name = 'screen shot #1.png', size = 1000) => new File([new Uint8Array(size)], name);

describe('uploadAttachment', () => {
  beforeEach(() => {
    installFakeXhr();
  });

  it('POSTs the raw file to /api/attachments with its name, the CSRF header and same-origin credentials', async () => {
    const f = file();
    const done = uploadAttachment(f);
    const xhr = FakeXhr.at(0);
    expect(xhr.method).toBe('POST');
    // Relative: the cookie goes to the portal's own origin only.
    expect(xhr.url).toBe('/api/attachments?filename=screen%20shot%20%231.png');
    expect(xhr.filename).toBe('screen shot #1.png');
    expect(xhr.headers['X-Itosm-Csrf']).toBe('1');
    expect(xhr.withCredentials).toBe(false);
    expect(xhr.body).toBe(f);
    xhr.respond(201, uploaded('a1', f));
    await expect(done).resolves.toMatchObject({ id: 'a1', filename: 'screen shot #1.png', size: 1000 });
  });

  it('reports upload progress, then all of it once the server answered', async () => {
    const f = file('big.bin', 4000);
    const seen: Array<[number, number]> = [];
    const done = uploadAttachment(f, { onProgress: (loaded, total) => seen.push([loaded, total]) });
    const xhr = FakeXhr.at(0);
    xhr.progress(1000, 4000);
    xhr.progress(3000, 4000);
    expect(seen).toEqual([
      [1000, 4000],
      [3000, 4000],
    ]);
    xhr.respond(201, uploaded('a2', f));
    await done;
    expect(seen.at(-1)).toEqual([4000, 4000]);
  });

  it('rejects a 413 with the server’s message', async () => {
    const done = uploadAttachment(file());
    FakeXhr.at(0).respond(413, {
      error: { code: 'BAD_USER_INPUT', message: 'file: at most 10485760 bytes are allowed' },
    });
    const err = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UploadError);
    expect(err).toMatchObject({ status: 413, message: 'file: at most 10485760 bytes are allowed' });
  });

  it('says something useful when the refusal has no message', async () => {
    const tooMany = uploadAttachment(file());
    FakeXhr.at(0).respond(429, '');
    await expect(tooMany).rejects.toMatchObject({ status: 429, message: expect.stringMatching(/too many uploads/i) });

    const large = uploadAttachment(file());
    FakeXhr.at(1).respond(413, '<html>nginx</html>');
    await expect(large).rejects.toMatchObject({ status: 413, message: 'The file is too large.' });

    const offline = uploadAttachment(file());
    FakeXhr.at(2).fail();
    await expect(offline).rejects.toMatchObject({ status: 0, message: expect.stringMatching(/did not reach/) });
  });

  it('is cancelled through its signal', async () => {
    const controller = new AbortController();
    const done = uploadAttachment(file(), { signal: controller.signal });
    controller.abort();
    expect(FakeXhr.at(0).aborted).toBe(true);
    const err = await done.catch((e: unknown) => e);
    expect(isAbort(err)).toBe(true);
  });
});

describe('discardAttachment', () => {
  it('DELETEs the upload with the CSRF header and same-origin credentials', async () => {
    sessionFetch.mockImplementation(async () => new Response(null, { status: 204 }));
    await expect(discardAttachment('a 1')).resolves.toBe(true);
    expect(sessionFetch).toHaveBeenCalledWith('/api/attachments/a%201', {
      method: 'DELETE',
      credentials: 'same-origin',
      headers: { 'X-Itosm-Csrf': '1' },
    });
  });

  it('never throws', async () => {
    sessionFetch.mockImplementation(vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    await expect(discardAttachment('a1')).resolves.toBe(false);
  });
});
