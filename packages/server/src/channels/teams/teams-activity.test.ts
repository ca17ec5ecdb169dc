import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readCardAction } from './teams-activity.js';

test('a click: only Action.Execute, own properties, bounded comment', () => {
  const value = (action: unknown) => ({ action });
  assert.deepEqual(
    readCardAction(
      value({
        type: 'Action.Execute',
        verb: 'countersign.approve',
        data: { action_id: 'act_1', comment: 'ok' },
      }),
    ),
    { verb: 'countersign.approve', actionId: 'act_1', comment: 'ok' },
  );
  assert.equal(
    readCardAction(value({ type: 'Action.Submit', verb: 'countersign.approve' })).verb,
    undefined,
  );
  assert.equal(
    readCardAction(value({ type: 'Action.Execute', data: { comment: 'x'.repeat(4001) } })).comment,
    null,
  );
  assert.equal(
    readCardAction(value({ type: 'Action.Execute', data: { comment: 7 } })).comment,
    null,
  );
  const inherited = JSON.parse(
    '{"action":{"type":"Action.Execute","data":{"__proto__":{"action_id":"act_x"}}}}',
  );
  assert.equal(readCardAction(inherited).actionId, undefined);
  assert.deepEqual(readCardAction(null), {
    verb: undefined,
    actionId: undefined,
    comment: undefined,
  });
});
