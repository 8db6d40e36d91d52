import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeXhr, installFakeXhr, uploaded } from '@/test/fake-xhr';
import { gqlError, type Handler } from '@/test/mock-client';
import { attachmentLimits, renderApp, sessions, software } from '@/test/render';
import { sessionFetch } from '@/test/setup';

const catalog: Handler = () => ({
  data: {
    softwareCatalog: software.map((s) => ({ ...s, retired: false })),
    requestTypes: [{ type: 'OTHER', explanation: 'Anything else.' }],
    limits: { maxDescriptionChars: 500, ...attachmentLimits },
  },
});
const created: Handler = () => ({
  data: {
    createTicket: {
      id: '9',
      number: 'INC-2026-0009',
      subject: 'Printer',
      status: 'START',
      statusLabel: 'Start',
      requestType: 'OTHER',
      createdAt: '2026-11-20T10:00:00Z',
    },
  },
});

const file = (name: string, size: number) => new File([new Uint8Array(size)], name);

async function setup(handlers: Record<string, Handler> = {}) {
  const user = userEvent.setup();
  const r = renderApp({
    path: '/new-request',
    session: sessions.john,
    handlers: { NewRequestData: catalog, CreateTicket: created, ...handlers },
  });
  await user.selectOptions(await screen.findByLabelText('Request type'), 'OTHER');
  await user.type(screen.getByLabelText('Subject'), 'Printer');
  await user.type(screen.getByLabelText('Description'), 'It jams.');
  const input = screen.getByLabelText('Attach files');
  const submit = screen.getByRole('button', { name: 'Submit request' });
  const item = (name: string) =>
    screen.getAllByTestId('upload-item').find((li) => li.getAttribute('data-filename') === name) as HTMLElement;
  return { ...r, user, input, submit, item };
}

const deletes = () =>
  sessionFetch.mock.calls
    .filter(([, init]) => init?.method === 'DELETE')
    .map(([url]) => String(url))
    .filter((url) => url.startsWith('/api/attachments/'));

describe('/new-request: attachments', () => {
  beforeEach(() => {
    installFakeXhr();
  });

  it('uploads each chosen file at once with a progress bar, waits for them, then sends their ids', async () => {
    const { user, input, submit, item, calls } = await setup();
    expect(input).toHaveAccessibleDescription(/up to 3 files, at most 1 MB each/i);
    const a = file('error.log', 2000);
    const b = file('photo.jpg', 4000);
    await user.upload(input, [a, b]);

    expect(FakeXhr.all.map((x) => x.filename)).toEqual(['error.log', 'photo.jpg']);
    const bar = within(item('error.log')).getByRole('progressbar', { name: 'Upload of error.log' });
    expect(bar).toHaveAttribute('aria-valuenow', '0');
    act(() => FakeXhr.at(0).progress(1000, 2000));
    expect(bar).toHaveAttribute('aria-valuenow', '50');
    expect(bar).toHaveAttribute('aria-valuetext', expect.stringMatching(/^50%/));
    expect(within(item('error.log')).getByTestId('upload-status')).toHaveTextContent('Uploading… 50%');

    // The request cannot go while a file is on its way.
    expect(submit).toBeDisabled();
    expect(screen.getByTestId('uploads-pending')).toHaveTextContent(/waiting for the files/i);
    await act(async () => FakeXhr.at(0).respond(201, uploaded('a1', a)));
    expect(bar).toHaveAttribute('aria-valuenow', '100');
    expect(item('error.log')).toHaveAttribute('data-state', 'done');
    expect(submit).toBeDisabled();
    await act(async () => FakeXhr.at(1).respond(201, uploaded('a2', b)));
    expect(item('photo.jpg')).toHaveAttribute('data-state', 'done');
    expect(submit).toBeEnabled();

    await user.click(submit);
    await screen.findByTestId('created-ticket');
    expect(calls.find((c) => c.name === 'CreateTicket')?.variables).toEqual({
      input: { requestType: 'OTHER', subject: 'Printer', description: 'It jams.', attachmentIds: ['a1', 'a2'] },
    });
    // Sent with the ticket: nothing is discarded as the form goes away.
    expect(deletes()).toEqual([]);
  });

  it('uploads two at a time (the daemon refuses a fourth in flight); the rest wait their turn', async () => {
    const { user, input, submit, item } = await setup();
    const files = [file('1.txt', 10), file('2.txt', 10), file('3.txt', 10)];
    await user.upload(input, files);
    expect(FakeXhr.all.map((x) => x.filename)).toEqual(['1.txt', '2.txt']);
    expect(item('3.txt')).toHaveAttribute('data-state', 'queued');
    expect(within(item('3.txt')).getByTestId('upload-status')).toHaveTextContent('Waiting to upload…');
    expect(submit).toBeDisabled();
    await act(async () => FakeXhr.at(1).respond(201, uploaded('u2', files[1] as File)));
    expect(FakeXhr.all.map((x) => x.filename)).toEqual(['1.txt', '2.txt', '3.txt']);
    expect(item('3.txt')).toHaveAttribute('data-state', 'uploading');
    await act(async () => FakeXhr.at(0).respond(201, uploaded('u1', files[0] as File)));
    await act(async () => FakeXhr.at(2).respond(201, uploaded('u3', files[2] as File)));
    expect(submit).toBeEnabled();
  });

  it('refuses files over the size or count limit, and empty ones, before uploading, saying why', async () => {
    const { user, input } = await setup();
    await user.upload(input, [file('huge.iso', 1024 * 1024 + 1), file('empty.txt', 0), file('ok.txt', 10)]);
    const notice = screen.getByTestId('attachments-error');
    expect(notice).toHaveAttribute('role', 'alert');
    expect(notice).toHaveTextContent('“huge.iso” is too large: each file may be at most 1 MB.');
    expect(notice).toHaveTextContent('“empty.txt” is empty.');
    expect(input).toHaveAccessibleDescription(/huge\.iso.*too large/);
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(FakeXhr.all.map((x) => x.filename)).toEqual(['ok.txt']);

    await user.upload(input, [file('2.txt', 1), file('3.txt', 1), file('4.txt', 1)]);
    expect(screen.getByTestId('attachments-error')).toHaveTextContent('At most 3 files can be attached; “4.txt” not added.');
    expect(screen.getAllByTestId('upload-item').map((li) => li.getAttribute('data-filename'))).toEqual([
      'ok.txt',
      '2.txt',
      '3.txt',
    ]);
    expect(input).toBeDisabled();
    expect(screen.getByTestId('attachment-limits')).toHaveTextContent(/most files you can attach \(3\)/);
  });

  it('shows the server’s refusal of a file, keeps the request from going, and retries or removes it', async () => {
    const { user, input, submit, item, calls } = await setup();
    const f = file('scan.pdf', 500);
    await user.upload(input, [f]);
    await act(async () =>
      FakeXhr.at(0).respond(413, { error: { code: 'BAD_USER_INPUT', message: 'file: at most 1048576 bytes are allowed' } }),
    );
    expect(item('scan.pdf')).toHaveAttribute('data-state', 'error');
    const error = within(item('scan.pdf')).getByTestId('upload-error');
    expect(error).toHaveTextContent('file: at most 1048576 bytes are allowed');
    expect(input).toHaveAccessibleDescription(/at most 1048576 bytes/);
    expect(within(item('scan.pdf')).getByRole('progressbar')).toHaveAccessibleDescription(/at most 1048576 bytes/);

    await user.click(submit);
    expect(await screen.findByTestId('create-error')).toHaveTextContent(/not uploaded: retry or remove them/);
    expect(calls.some((c) => c.name === 'CreateTicket')).toBe(false);

    await user.click(within(item('scan.pdf')).getByRole('button', { name: 'Upload scan.pdf again' }));
    expect(FakeXhr.all).toHaveLength(2);
    await act(async () => FakeXhr.at(1).respond(429, { error: { code: 'RATE_LIMITED', message: 'too many uploads in flight' } }));
    expect(within(item('scan.pdf')).getByTestId('upload-error')).toHaveTextContent('too many uploads in flight');

    await user.click(within(item('scan.pdf')).getByRole('button', { name: 'Remove scan.pdf' }));
    expect(screen.queryByTestId('upload-item')).not.toBeInTheDocument();
    // It never reached the server: nothing to discard.
    expect(deletes()).toEqual([]);
    await user.click(submit);
    await screen.findByTestId('created-ticket');
    expect(calls.find((c) => c.name === 'CreateTicket')?.variables).toEqual({
      input: { requestType: 'OTHER', subject: 'Printer', description: 'It jams.' },
    });
  });

  it('discards a removed upload on the server, and cancels one still on its way', async () => {
    const { user, input, submit, item, calls } = await setup();
    const a = file('a.txt', 10);
    await user.upload(input, [a, file('b.txt', 10), file('c.txt', 10)]);
    await act(async () => FakeXhr.at(0).respond(201, uploaded('a1', a)));
    await act(async () => FakeXhr.at(2).respond(201, uploaded('c1', a)));
    await user.click(within(item('a.txt')).getByRole('button', { name: 'Remove a.txt' }));
    await waitFor(() => expect(deletes()).toEqual(['/api/attachments/a1']));
    await user.click(within(item('b.txt')).getByRole('button', { name: 'Remove b.txt' }));
    expect(FakeXhr.at(1).aborted).toBe(true);
    expect(screen.getAllByTestId('upload-item').map((li) => li.getAttribute('data-filename'))).toEqual(['c.txt']);
    await user.click(submit);
    await screen.findByTestId('created-ticket');
    expect(calls.find((c) => c.name === 'CreateTicket')?.variables).toMatchObject({ input: { attachmentIds: ['c1'] } });
  });

  it('uploads the files again when the ticket is refused (the server discarded them)', async () => {
    let refuse = true;
    const { user, input, submit, item, calls } = await setup({
      CreateTicket: (v, op) => (refuse ? gqlError('UNAVAILABLE', 'database down') : created(v, op)),
    });
    const a = file('a.txt', 10);
    await user.upload(input, [a]);
    await act(async () => FakeXhr.at(0).respond(201, uploaded('a1', a)));
    await user.click(submit);
    expect(await screen.findByTestId('create-error')).toHaveTextContent(
      /temporarily unavailable.*Your files are being uploaded again; send the request once they are done\./,
    );
    expect(item('a.txt')).toHaveAttribute('data-state', 'uploading');
    expect(FakeXhr.all.map((x) => x.filename)).toEqual(['a.txt', 'a.txt']);
    expect(FakeXhr.at(1).body).toBe(a);
    await waitFor(() => expect(deletes()).toEqual(['/api/attachments/a1']));
    expect(submit).toBeDisabled();

    refuse = false;
    await act(async () => FakeXhr.at(1).respond(201, uploaded('a2', a)));
    await user.click(submit);
    await screen.findByTestId('created-ticket');
    const sent = calls.filter((c) => c.name === 'CreateTicket').map((c) => (c.variables.input as { attachmentIds?: string[] }).attachmentIds);
    expect(sent).toEqual([['a1'], ['a2']]);
  });

  it('ends the session when the daemon refuses it (401), as a GraphQL answer would', async () => {
    const { user, input, router } = await setup();
    await user.upload(input, [file('a.txt', 10)]);
    await act(async () => FakeXhr.at(0).respond(401, { error: { code: 'UNAUTHENTICATED', message: 'session expired' } }));
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
    expect(await screen.findByText('Your session has ended. Please log in again.')).toBeInTheDocument();
  });

  it('discards uploads left behind when the form goes away', async () => {
    const { user, input, router } = await setup();
    const a = file('a.txt', 10);
    await user.upload(input, [a, file('b.txt', 10)]);
    await act(async () => FakeXhr.at(0).respond(201, uploaded('a1', a)));
    await act(() => router.navigate('/my-tickets'));
    await waitFor(() => expect(deletes()).toEqual(['/api/attachments/a1']));
    expect(FakeXhr.at(1).aborted).toBe(true);
  });
});
