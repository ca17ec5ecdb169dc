import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../model/json.js';
import { loadPolicy } from './load-policy.js';
import { recordedRequests, type RecordedRequest } from './recorded-requests.js';
import { LOOSENED, parseFailOn, replayPolicy } from './replay.js';

const KNOWN = { groups: new Set(['owners']), users: new Set<string>() };
const policy = (quorum: number) =>
  loadPolicy(
    `version: 1\nrules:\n  - id: export\n    match: { action: db.export }\n    require_approval: { from: [owners], quorum: ${quorum} }\n`,
    { file: 'p.yaml', ...KNOWN },
  );

/** Entry lines for one request needing approval under `quorum`, with its votes and ending. */
function lines(
  id: string,
  minute: number,
  quorum: number,
  tail: object[],
  params: JsonObject = {},
) {
  const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
  const input = { action: 'db.export', resource: 'r', environment: 'production', params };
  const d = policy(quorum).evaluate({ ...input, agent: { id: 'bot', owners: [] } });
  const agent = { kind: 'agent', id: 'bot' };
  return [
    { at: at(minute), type: 'action.submitted', actor: agent, request_id: id, data: input },
    {
      at: at(minute),
      type: 'action.decided_by_policy',
      actor: agent,
      request_id: id,
      data: { decision: d.decision, rules: d.rules, approval: d.approval, policy_version: 'v' },
    },
    ...tail.map((t) => ({ at: at(minute + 1), request_id: id, ...t })),
  ].map((e) => JSON.stringify(e));
}

const vote = (user: string, v: string, breakGlass = false) => ({
  type: 'action.vote_counted',
  actor: { kind: 'user', id: user },
  data: { vote: v, break_glass: breakGlass },
});
const end = (status: string) => ({
  type: `action.${status}`,
  actor: { kind: 'system', id: 's' },
  data: {},
});

const LOG = [
  ...lines('a', 0, 2, [vote('u1', 'approve'), vote('u2', 'approve'), end('approved')]),
  'not json',
  JSON.stringify({ at: 'x', type: 'action.notified', request_id: 'a', data: {} }),
  ...lines('b', 10, 2, [vote('u1', 'approve', true), end('approved')], {
    password: { $hmac: 'hmac-sha256:00' },
  }),
  ...lines('c', 20, 2, []),
];

async function collect(options = {}): Promise<RecordedRequest[]> {
  const out: RecordedRequest[] = [];
  for await (const batch of recordedRequests([LOG], options)) out.push(...batch);
  return out;
}

test('recorded requests: votes, break-glass, redaction, a request still pending; junk lines skipped', async () => {
  const all = await collect();
  assert.deepEqual(
    all.map((r) => [r.id, r.outcome, r.approvers, r.break_glass, r.redacted]),
    [
      ['a', 'approved', ['u1', 'u2'], false, false],
      ['b', 'approved', ['u1'], true, true],
      ['c', 'pending', [], false, false],
    ],
  );
  const window = await collect({
    from: Date.UTC(2026, 0, 1, 0, 5),
    to: Date.UTC(2026, 0, 1, 0, 15),
  });
  assert.deepEqual(
    window.map((r) => r.id),
    ['b'],
  );
});

test('a quorum of 1 where 2 were asked is approval-loosened, and the other way tightened', async () => {
  const requests = await collect();
  const loosened = await replayPolicy(policy(1), [requests]);
  assert.equal(loosened.changes['approval-loosened'].count, 3);
  assert.equal(loosened.redacted, 1);
  assert.equal(loosened.changes['approval-loosened'].examples[0].now.humans, 1);
  const tightened = await replayPolicy(policy(3), [requests]);
  assert.equal(tightened.changes['approval-tightened'].count, 3);
  assert.equal((await replayPolicy(policy(2), [requests])).unchanged, 3);
});

test('--fail-on names: kinds, loosened, tightened, any; an unknown one throws', () => {
  assert.deepEqual([...parseFailOn('loosened')], LOOSENED);
  assert.deepEqual(
    [...parseFailOn('rules-changed, approval-loosened')],
    ['rules-changed', 'approval-loosened'],
  );
  assert.equal(parseFailOn('any').size, 11);
  assert.throws(() => parseFailOn('loose'), /unknown change kind "loose"/);
});
