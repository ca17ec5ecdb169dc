import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApprovalHandles, type BoundCall } from './approval-handles.js';
import { TokenError, TokenSigner } from './signed-token.js';

const failure = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof TokenError) return e.failure;
    throw e;
  }
  return 'accepted';
};

describe('signed task ids and requestState (2026-07-28 basic/patterns/mrtr, server requirements 4-5)', () => {
  let now = 1_000_000;
  const clock = () => now;
  const signer = new TokenSigner('s3cret', clock);
  const handles = new ApprovalHandles(signer);
  const call: BoundCall = { server: 'github', tool: 'merge', arguments: { pr: 7, repo: 'a/b' } };

  test('a task id round-trips: request id, call and times', () => {
    const id = handles.task(call, 'act_1', now, now + 60_000);
    assert.deepEqual(handles.readTask(id), {
      actionId: 'act_1',
      createdAt: now,
      expiresAt: now + 60_000,
      call,
    });
    // Another process with the same secret reads it; one with another secret does not.
    assert.equal(
      new ApprovalHandles(new TokenSigner('s3cret', clock)).readTask(id).actionId,
      'act_1',
    );
    assert.equal(
      failure(() => new ApprovalHandles(new TokenSigner('other', clock)).readTask(id)),
      'forged',
    );
    assert.equal(
      failure(() => new ApprovalHandles(new TokenSigner(undefined, clock)).readTask(id)),
      'forged',
    );
  });

  test('expired: refused from the injected clock, to the millisecond', () => {
    const id = handles.task(call, 'act_1', now, now + 1_000);
    now += 999;
    assert.equal(
      failure(() => handles.readTask(id)),
      'accepted',
    );
    now += 1;
    assert.equal(
      failure(() => handles.readTask(id)),
      'expired',
    );
  });

  test('tampered body, forged or truncated MAC, wrong version, oversize, non-strings: refused', () => {
    const id = handles.task(call, 'act_1', now, now + 60_000);
    const [v, body, mac] = id.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const edit = (p: Record<string, unknown>) =>
      `${v}.${Buffer.from(JSON.stringify(p)).toString('base64url')}.${mac}`;
    assert.equal(
      failure(() => handles.readTask(edit({ ...payload, a: 'act_2' }))),
      'forged',
    );
    assert.equal(
      failure(() => handles.readTask(edit({ ...payload, exp: now * 10 }))),
      'forged',
    );
    assert.equal(
      failure(() => handles.readTask(`${v}.${body}.${mac.slice(0, 10)}`)),
      'forged',
    );
    assert.equal(
      failure(() => handles.readTask(`${v}.${body}.`)),
      'forged',
    );
    // Other spellings of the same MAC bytes: the spare bits of the last character, padding, a
    // stray character the decoder would skip.
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = last[last.indexOf(mac.slice(-1)) ^ 1] ?? '';
    for (const respelled of [`${mac.slice(0, -1)}${twin}`, `${mac}=`, `${mac}!`, ` ${mac}`])
      assert.equal(
        failure(() => handles.readTask(`${v}.${body}.${respelled}`)),
        'forged',
      );
    assert.equal(
      failure(() => handles.readTask(`cs2.${body}.${mac}`)),
      'malformed',
    );
    assert.equal(
      failure(() => handles.readTask(`${id}.x`)),
      'malformed',
    );
    assert.equal(
      failure(() => handles.readTask('x'.repeat(300_000))),
      'malformed',
    );
    for (const junk of [undefined, null, 7, {}, ['a']])
      assert.equal(
        failure(() => handles.readTask(junk)),
        'malformed',
      );
  });

  test('a task id is not a requestState, nor the reverse', () => {
    const taskId = handles.task(call, 'act_1', now, now + 60_000);
    const state = handles.state(
      call,
      { actionId: 'act_1', forwarded: false, upstreamState: undefined },
      now + 60_000,
    );
    assert.equal(
      failure(() => handles.readState(taskId, call)),
      'wrong_purpose',
    );
    assert.equal(
      failure(() => handles.readTask(state)),
      'wrong_purpose',
    );
  });

  test('a requestState is bound to its call: other arguments, tool or server are refused; key order is not a difference', () => {
    const state = handles.state(
      call,
      { actionId: 'act_1', forwarded: true, upstreamState: 'up' },
      now + 60_000,
    );
    assert.deepEqual(handles.readState(state, { ...call, arguments: { repo: 'a/b', pr: 7 } }), {
      actionId: 'act_1',
      forwarded: true,
      upstreamState: 'up',
    });
    for (const other of [
      { ...call, arguments: { pr: 8, repo: 'a/b' } },
      { ...call, tool: 'close' },
      { ...call, server: 'gitlab' },
    ])
      assert.equal(
        failure(() => handles.readState(state, other)),
        'other_call',
      );
  });
});
