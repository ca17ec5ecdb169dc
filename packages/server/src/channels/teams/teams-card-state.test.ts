import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCardState, writeCardState } from './teams-card-state.js';

test('card state: anything unexpected counts as nothing posted; a round trip keeps it', () => {
  for (const junk of [undefined, null, 1, 'x', [], { cards: 'x' }, { cards: [{ key: 1 }] }]) {
    assert.deepEqual(readCardState(junk as never), { cards: [], refused: [] });
  }
  const state = {
    cards: [{ key: 'dm:frank', conversation_id: 'a:1', activity_id: '2' }],
    refused: [{ key: 'channel:19:x', error: 'HTTP 403' }],
  };
  assert.deepEqual(readCardState(writeCardState(state)), state);
});
