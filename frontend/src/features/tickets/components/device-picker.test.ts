import { describe, expect, it } from 'vitest';
import { MAX_TICKET_DEVICES, toggleTag } from './device-picker';

describe('toggleTag', () => {
  it('adds and removes a tag', () => {
    expect(toggleTag([], 'PC-1', true)).toEqual(['PC-1']);
    expect(toggleTag(['PC-1', 'PC-2'], 'PC-1', false)).toEqual(['PC-2']);
  });
  it('adds a tag once', () => expect(toggleTag(['PC-1'], 'PC-1', true)).toEqual(['PC-1']));
  it('stops at the limit', () => {
    const full = Array.from({ length: MAX_TICKET_DEVICES }, (_, i) => `PC-${i}`);
    expect(toggleTag(full, 'PC-X', true)).toEqual(full);
  });
});
