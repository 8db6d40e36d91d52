import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '@/lib/session';
import { FakeXhr, installFakeXhr, uploaded } from '@/test/fake-xhr';
import { gqlError, type Handler } from '@/test/mock-client';
import { attachmentLimits, renderApp, sessions } from '@/test/render';

const john = { id: '1', username: 'john.doe', displayName: 'John Doe' };
const admin = { id: '3', username: 'admin.user', displayName: 'Admin User' };
const N = 'INC-2026-0001';

const file = (id: string, filename: string, size: number, commentId: string | null = null, internal = false) => ({
  id,
  filename,
  contentType: 'application/octet-stream',
  size,
  commentId,
  internal,
  createdAt: '2026-11-20T10:00:00Z',
  url: `/api/tickets/${N}/attachments/${id}`,
});

function ticket(over: Record<string, unknown> = {}) {
  return {
    id: '1',
    number: N,
    subject: 'Printer',
    status: 'IN_PROGRESS',
    statusLabel: 'In progress',
    requestType: 'HARDWARE',
    description: 'It jams.',
    priority: 'MEDIUM',
    createdAt: '2026-11-20T10:00:00Z',
    updatedAt: '2026-11-20T10:00:00Z',
    version: 3,
    software: null,
    requester: john,
    assignee: null,
    history: [],
    comments: [],
    attachments: [],
    allowedStatuses: [],
    canAssign: false,
    firstResponseDueAt: null,
    resolutionDueAt: null,
    firstRespondedAt: null,
    resolvedAt: null,
    firstResponseBreached: false,
    resolutionBreached: false,
    breached: false,
    ...over,
  };
}

function setup(t: () => ReturnType<typeof ticket>, session: Session, handlers: Record<string, Handler> = {}) {
  return renderApp({
    path: `/tickets/${N}`,
    session,
    handlers: {
      TicketDetails: () => ({ data: { ticket: t(), limits: attachmentLimits } }),
      TicketUpdated: () => 'pending',
      AssignableAgents: () => ({ data: { assignableAgents: [admin] } }),
      ...handlers,
    },
  });
}

describe('ticket page: files', () => {
  beforeEach(() => {
    installFakeXhr();
  });

  it('lists the ticket’s files and each comment’s under it, as download links with sizes; internal ones badged', async () => {
    const comments = [
      { id: 'c1', body: 'Here is the log.', internal: false, createdAt: '2026-11-20T11:00:00Z', author: john },
      { id: 'c2', body: 'Licence key attached.', internal: true, createdAt: '2026-11-20T12:00:00Z', author: admin },
    ];
    setup(
      () =>
        ticket({
          comments,
          canAssign: true,
          attachments: [
            file('f1', 'error <b>.png', 1536),
            file('f2', 'spec.pdf', 3 * 1024 * 1024),
            file('f3', 'app.log', 512, 'c1'),
            file('f4', 'licence.txt', 20, 'c2', true),
          ],
        }),
      sessions.admin,
    );
    const ticketFiles = await screen.findByTestId('ticket-attachments');
    expect(ticketFiles).toHaveAccessibleName('Files sent with the request');
    const links = within(ticketFiles).getAllByRole('link');
    expect(links.map((a) => a.textContent)).toEqual(['error <b>.png', 'spec.pdf']);
    expect(links[0]).toHaveAttribute('href', `/api/tickets/${N}/attachments/f1`);
    expect(links[0]).toHaveAttribute('download');
    expect(within(ticketFiles).getAllByTestId('attachment-size').map((s) => s.textContent)).toEqual(['1.5 KB', '3 MB']);
    expect(ticketFiles.querySelector('b')).toBeNull();

    const commentItems = screen.getAllByTestId('timeline-item').filter((li) => li.dataset.kind === 'comment');
    expect(commentItems).toHaveLength(2);
    const [public1, internal2] = commentItems as [HTMLElement, HTMLElement];
    const publicFiles = within(public1).getByTestId('comment-attachments');
    expect(within(publicFiles).getByRole('link', { name: 'app.log' })).toHaveAttribute('href', `/api/tickets/${N}/attachments/f3`);
    expect(within(publicFiles).getByTestId('attachment-size')).toHaveTextContent('512 bytes');
    expect(within(public1).queryByTestId('attachment-internal-badge')).not.toBeInTheDocument();

    const noteFiles = within(internal2).getByTestId('comment-attachments');
    expect(noteFiles).toHaveAccessibleName('Files with this internal note');
    const note = within(noteFiles).getByTestId('attachment');
    expect(note).toHaveAttribute('data-internal', 'true');
    expect(within(note).getByRole('link', { name: 'licence.txt' })).toHaveAttribute('download');
    expect(within(note).getByTestId('attachment-internal-badge')).toHaveTextContent('Internal');
    // Each file is listed once, where it belongs.
    expect(screen.getAllByTestId('attachment')).toHaveLength(4);
  });

  it('shows no file list when there are none', async () => {
    setup(() => ticket(), sessions.john);
    await screen.findByTestId('ticket-details');
    expect(screen.queryByTestId('ticket-attachments')).not.toBeInTheDocument();
    expect(screen.queryByTestId('comment-attachments')).not.toBeInTheDocument();
  });

  it('sends an internal note with a file once it is uploaded', async () => {
    const user = userEvent.setup();
    const { calls } = setup(() => ticket({ canAssign: true }), sessions.admin, {
      AddComment: () => ({
        data: { addComment: { id: 'c9', body: 'Key', internal: true, createdAt: '2026-11-20T12:00:00Z', author: admin } },
      }),
    });
    await user.type(await screen.findByTestId('comment-body'), 'Key');
    await user.click(screen.getByTestId('comment-internal'));
    const input = screen.getByLabelText('Attach files (staff only, like the note)');
    const f = new File(['AC-7731'], 'key.txt');
    await user.upload(input, f);
    const submit = screen.getByTestId('comment-submit');
    expect(submit).toBeDisabled();
    act(() => FakeXhr.at(0).progress(3, 7));
    expect(screen.getByRole('progressbar', { name: 'Upload of key.txt' })).toHaveAttribute('aria-valuenow', '42');
    await act(async () => FakeXhr.at(0).respond(201, uploaded('k1', f)));
    expect(submit).toBeEnabled();
    await user.click(submit);
    expect(await screen.findByText('Internal note added.')).toBeInTheDocument();
    expect(calls.find((c) => c.name === 'AddComment')?.variables).toEqual({
      number: N,
      body: 'Key',
      internal: true,
      attachmentIds: ['k1'],
    });
    // The form is ready for the next comment.
    expect(screen.queryByTestId('upload-item')).not.toBeInTheDocument();
    expect(screen.getByTestId('comment-body')).toHaveValue('');
  });

  it('says the files are uploaded again when the comment is refused', async () => {
    const user = userEvent.setup();
    setup(() => ticket(), sessions.john, { AddComment: () => gqlError('BAD_USER_INPUT', 'attachmentIds: at most 3 files') });
    await user.type(await screen.findByTestId('comment-body'), 'See file');
    const f = new File(['x'], 'x.txt');
    await user.upload(screen.getByLabelText('Attach files'), f);
    await act(async () => FakeXhr.at(0).respond(201, uploaded('x1', f)));
    await user.click(screen.getByTestId('comment-submit'));
    expect(await screen.findByTestId('comment-error')).toHaveTextContent(
      'attachmentIds: at most 3 files Your files are being uploaded again; send the comment once they are done.',
    );
    expect(FakeXhr.all).toHaveLength(2);
    expect(screen.getByTestId('upload-item')).toHaveAttribute('data-state', 'uploading');
  });
});
