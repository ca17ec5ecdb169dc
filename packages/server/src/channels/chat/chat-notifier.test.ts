import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '@countersign/core';
import type { Delivery, DeliveryContext } from '../../notify/notifier.js';
import type { RequestView } from '../../views/request-view.js';
import { ChatNotifier, type ChatState, type ChatVendor } from './chat-notifier.js';

class VendorError extends Error {
  constructor(
    readonly permanent: boolean,
    readonly gone = false,
  ) {
    super(gone ? 'gone' : permanent ? 'refused for good' : 'try later');
  }
}

/** A vendor that records its calls; `fail` makes the next call on a destination throw. */
function vendor(keys: string[]) {
  const calls: string[] = [];
  const fail = new Map<string, VendorError>();
  const refusedKeys: string[] = [];
  const v: ChatVendor<{ key: string }, { ref: string }, string> = {
    render: (view) => `message of ${view.id}`,
    destinations: () => keys.map((key) => ({ key })),
    post(dest) {
      calls.push(`post ${dest.key}`);
      const e = fail.get(dest.key);
      return e ? Promise.reject(e) : Promise.resolve({ ref: `ref-${dest.key}` });
    },
    update(posted) {
      calls.push(`update ${posted.ref}`);
      const e = fail.get(posted.ref);
      return e ? Promise.reject(e) : Promise.resolve();
    },
    failure: (e) => {
      const f = e as VendorError;
      return { error: f.message, permanent: f.permanent, gone: f.gone };
    },
    refused: (key) => void refusedKeys.push(key),
    readState: (value) =>
      (value ?? { posted: [], refused: [] }) as unknown as ChatState<{ ref: string }>,
    writeState: (state) => JSON.parse(JSON.stringify(state)) as JsonValue,
  };
  return { v, calls, fail, refusedKeys };
}

let stored: JsonValue | undefined;
const context: DeliveryContext = {
  signal: new AbortController().signal,
  state: {
    get: () => Promise.resolve(stored),
    set: (value: JsonValue) => {
      stored = value;
      return Promise.resolve();
    },
  },
  now: () => 0,
};
// Only the request view and the event id are read by the loop.
const delivery = (status: string) =>
  ({
    event: 'action.created',
    payload: { id: 'evt', data: { action: { id: 'act_1', status } as RequestView } },
  }) as unknown as Delivery;

test('posts once, then updates in place; a permanent refusal is remembered, a gone message forgotten', async () => {
  stored = undefined;
  const { v, calls, fail, refusedKeys } = vendor(['a', 'b', 'c']);
  const notifier = new ChatNotifier('chat', { maxAttempts: 3 } as never, v);
  fail.set('b', new VendorError(true));
  fail.set('c', new VendorError(false));
  const first = await notifier.deliver(delivery('pending'), context);
  assert.deepEqual(first, {
    ok: false,
    retry: true,
    error: 'b: refused for good; c: try later',
  });
  assert.deepEqual(refusedKeys, ['b']);
  fail.clear();
  calls.length = 0;
  assert.deepEqual(await notifier.deliver(delivery('pending'), context), { ok: true });
  // b is never asked again; c (transient) is posted now; a is updated, not posted again.
  assert.deepEqual(calls, ['post c', 'update ref-a']);
  fail.set('ref-a', new VendorError(true, true));
  calls.length = 0;
  assert.deepEqual(await notifier.deliver(delivery('approved'), context), { ok: true });
  assert.deepEqual(calls, ['update ref-a', 'update ref-c']);
  const state = stored as unknown as ChatState<{ ref: string }>;
  assert.deepEqual(
    state.posted.map((p) => p.key),
    ['c'],
  );
  assert.deepEqual(state.refused, [{ key: 'b', error: 'refused for good' }]);
});
