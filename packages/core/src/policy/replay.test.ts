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

/** Denies the requests of an agent carol owns; otherwise asks the owners group as before. */
const carolDenies = loadPolicy(
  `version: 1
rules:
  - id: carols-agents
    match: { action: db.export }
    when: '"carol" in agent.owners'
    decision: deny
  - id: export
    match: { action: db.export }
    require_approval: { from: [owners], quorum: 2 }
`,
  { file: 'p.yaml', ...KNOWN },
);

const directory = (minute: number, type: string, data: object) =>
  JSON.stringify({
    at: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
    type,
    actor: { kind: 'system', id: 'gateway-start' },
    data,
  });
const approved = [vote('u1', 'approve'), vote('u2', 'approve'), end('approved')];

test('replay uses the agent owners of each request’s time, from the directory entries before it', async () => {
  const log = [
    directory(0, 'directory.baseline', {
      directory: { users: {}, groups: [], agents: { bot: { owners: ['alice'] } } },
    }),
    ...lines('p', 1, 2, approved),
    // A restart with carol made an owner of bot, and alice no longer one.
    directory(5, 'directory.agent_owner_added', { agent: 'bot', user: 'carol' }),
    directory(5, 'directory.agent_owner_removed', { agent: 'bot', user: 'alice' }),
    ...lines('q', 10, 2, approved),
  ];
  const requests: RecordedRequest[] = [];
  for await (const b of recordedRequests([log])) requests.push(...b);
  assert.deepEqual(
    requests.map((r) => [r.id, r.owners]),
    [
      ['p', ['alice']],
      ['q', ['carol']],
    ],
  );
  // Today's directory (dave alone) is not consulted: the log knows each request's owners.
  const today = () => ['dave'];
  const report = await replayPolicy(carolDenies, [requests], { owners: today });
  assert.equal(report.owners_from_today, 0);
  assert.equal(report.unchanged, 1, 'p: alice owned bot then');
  assert.deepEqual(
    report.changes['denied-that-was-approved'].examples.map((e) => e.id),
    ['q'],
  );
  // The window starts after the owner change: the directory entries before it still count.
  const late: RecordedRequest[] = [];
  for await (const b of recordedRequests([log], { from: Date.UTC(2026, 0, 1, 0, 8) })) {
    late.push(...b);
  }
  assert.deepEqual(late[0].owners, ['carol']);
});

test('without directory history before a request, replay falls back to today’s owners and counts it', async () => {
  const log = [
    ...lines('p', 1, 2, approved),
    directory(5, 'directory.baseline', {
      directory: { users: {}, groups: [], agents: { bot: { owners: ['alice'] } } },
    }),
    ...lines('q', 10, 2, approved),
  ];
  const requests: RecordedRequest[] = [];
  for await (const b of recordedRequests([log])) requests.push(...b);
  assert.deepEqual(
    requests.map((r) => r.owners),
    [null, ['alice']],
  );
  const report = await replayPolicy(carolDenies, [requests], { owners: () => ['carol'] });
  assert.equal(report.owners_from_today, 1);
  assert.deepEqual(
    report.changes['denied-that-was-approved'].examples.map((e) => e.id),
    ['p'],
    'p replayed with today’s owners (carol), q with those of its time (alice)',
  );
});

test('owners carried by the submitted entry win over the directory history', async () => {
  const log = [
    directory(0, 'directory.baseline', {
      directory: { users: {}, groups: [], agents: { bot: { owners: ['alice'] } } },
    }),
    ...lines('p', 1, 2, approved).map((l, i) => {
      if (i !== 0) return l;
      const e = JSON.parse(l) as { data: JsonObject };
      return JSON.stringify({ ...e, data: { ...e.data, agent_owners: ['carol'] } });
    }),
  ];
  const requests: RecordedRequest[] = [];
  for await (const b of recordedRequests([log])) requests.push(...b);
  assert.deepEqual(requests[0].owners, ['carol']);
});
