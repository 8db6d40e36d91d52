import { describe, expect, it } from 'vitest';
import { groupAttachments, mergeTimeline } from './timeline';

const entry = (id: string, at: string) => ({ id, at, status: 'START' as const, statusLabel: 'Start', notes: null, actor: null });
const comment = (id: string, createdAt: string) => ({ id, createdAt, body: id, internal: false, author: null });

describe('mergeTimeline', () => {
  it('interleaves history and comments by time, oldest first', () => {
    const items = mergeTimeline(
      [entry('h1', '2026-11-20T10:00:00Z'), entry('h2', '2026-11-20T12:00:00Z')],
      [comment('c1', '2026-11-20T11:00:00Z'), comment('c2', '2026-11-20T13:00:00+01:00'), comment('c3', '2026-11-20T09:30:00Z')],
    );
    // 13:00+01:00 is 12:00Z, the instant of h2: the status change first.
    expect(items.map((i) => i.key)).toEqual(['c-c3', 'h-h1', 'c-c1', 'h-h2', 'c-c2']);
  });

  it('puts a status change before a comment of the same instant, keeping each in order', () => {
    const at = '2026-11-20T10:00:00Z';
    const items = mergeTimeline([entry('h1', at), entry('h2', at)], [comment('c1', at), comment('c2', at)]);
    expect(items.map((i) => i.key)).toEqual(['h-h1', 'h-h2', 'c-c1', 'c-c2']);
  });

  it('is empty for nothing', () => {
    expect(mergeTimeline([], [])).toEqual([]);
  });
});

describe('groupAttachments', () => {
  const file = (id: string, commentId: string | null) => ({
    id,
    filename: `${id}.txt`,
    contentType: 'text/plain',
    size: 1,
    commentId,
    internal: false,
    createdAt: '2026-11-20T10:00:00Z',
    url: `/api/tickets/T/attachments/${id}`,
  });

  it('puts the ticket’s own files apart and each comment’s under it, in order', () => {
    const { ticket, byComment } = groupAttachments(
      [file('a', null), file('b', 'c1'), file('c', 'c2'), file('d', 'c1'), file('e', 'gone')],
      [{ id: 'c1' }, { id: 'c2' }],
    );
    // A file of a comment not listed is still shown, with the ticket's.
    expect(ticket.map((f) => f.id)).toEqual(['a', 'e']);
    expect(byComment.get('c1')?.map((f) => f.id)).toEqual(['b', 'd']);
    expect(byComment.get('c2')?.map((f) => f.id)).toEqual(['c']);
  });
});
