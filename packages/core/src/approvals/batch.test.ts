import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_MAX_ITEMS,
  batchKeyOf,
  distinguishing,
  flattenRequest,
  groupAlike,
  judgeBatch,
  type BatchCase,
  type BatchItemCase,
} from './batch.js';
import { judgeVote } from './judge-vote.js';
import { actionDigest } from '../digest/action-digest.js';
import type { ActionRecord } from '../model/action-record.js';
import type { JsonObject } from '../model/json.js';
import type { ApprovalClause, ApprovalRequirement } from '../policy/types.js';

const NOW = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const clause = (c: Partial<ApprovalClause> = {}): ApprovalClause => ({
  rule: 'export',
  from: ['data-owners'],
  groups: [],
  quorum: 1,
  break_glass: ['carol'],
  ...c,
});
const requirement = (...clauses: ApprovalClause[]): ApprovalRequirement => ({
  clauses: clauses.length ? clauses : [clause()],
  timeout_ms: 60 * MIN,
  on_timeout: 'deny',
  justification_required: false,
});

let seq = 0;
/** A pending export by agent `exporter` (owner bob), created `ageMin` minutes before NOW. */
function request(over: Partial<ActionRecord> = {}, ageMin = 0): ActionRecord {
  seq++;
  const base = {
    action: 'db.export',
    resource: `postgres://prod/t${seq}`,
    environment: 'production',
    params: { rows: seq } as JsonObject,
    ...over,
  };
  return {
    id: `act_${String(seq).padStart(4, '0')}`,
    agent_id: 'exporter',
    idempotency_key: null,
    justification: null,
    risk: null,
    on_behalf_of: null,
    context: null,
    callback_url: null,
    status: 'pending',
    decision: 'require_approval',
    reason: '',
    rules: ['export'],
    trace: [],
    approval: requirement(),
    policy_version: 'v1',
    created_at: NOW - ageMin * MIN,
    updated_at: NOW,
    expires_at: NOW + 60 * MIN,
    decided_at: null,
    result: null,
    escalate_at: null,
    escalated_rules: [],
    break_glass: false,
    grant: null,
    ...base,
    ...over,
    digest: over.digest ?? actionDigest(base),
  };
}

const parties = { agent_id: 'exporter', agent_owners: ['bob'], on_behalf_of: null };
const item = (record: ActionRecord | undefined, over: Partial<BatchItemCase> = {}) => ({
  id: record?.id ?? 'act_missing',
  digest: record?.digest ?? 'sha256:00',
  record,
  priorVotes: [],
  parties,
  ...over,
});
const batch = (items: BatchItemCase[], over: Partial<BatchCase> = {}): BatchCase => ({
  items,
  voter: { id: 'alice', groups: ['data-owners'] },
  vote: 'approve',
  channel: 'api',
  breakGlass: false,
  comment: null,
  windowMs: 15 * MIN,
  now: NOW,
  ...over,
});
const codes = (c: BatchCase) => {
  const v = judgeBatch(c);
  if (v.verdict === 'refused') return v.items.map((i) => `${i.id}:${i.code}:${i.status}`);
  return v.verdict === 'invalid' ? `invalid:${v.code}` : 'counted';
};

test('batchKeyOf: same rules in any order, agent, action and environment; allow/deny alike nothing', () => {
  const a = request({ rules: ['a', 'b'] });
  assert.equal(batchKeyOf(a), batchKeyOf(request({ rules: ['b', 'a'] })));
  assert.notEqual(batchKeyOf(a), batchKeyOf(request({ rules: ['a', 'b'], agent_id: 'other' })));
  assert.notEqual(batchKeyOf(a), batchKeyOf(request({ rules: ['a', 'b'], action: 'db.query' })));
  assert.notEqual(batchKeyOf(a), batchKeyOf(request({ rules: ['a', 'b'], environment: 'dev' })));
  assert.notEqual(batchKeyOf(a), batchKeyOf(request({ rules: ['a'] })));
  // A separator inside an id never makes two different rule lists one key.
  assert.notEqual(
    batchKeyOf(request({ rules: ['a,b'] })),
    batchKeyOf(request({ rules: ['a', 'b'] })),
  );
  assert.equal(batchKeyOf(request({ decision: 'allow' })), null);
  assert.equal(batchKeyOf(request({ decision: 'deny' })), null);
});

test('groupAlike: window from the oldest, at most 50, no groups of one, oldest first, pending only', () => {
  const w = 15 * MIN;
  const old1 = request({}, 100);
  const old2 = request({}, 90); // 10 min after old1: same group
  const late = request({}, 80); // 20 min after old1: starts the next group, alone: left out
  const other = [request({ agent_id: 'b' }, 50), request({ agent_id: 'b' }, 49)];
  const decided = request({ status: 'approved' }, 99);
  const allowed = request({ decision: 'allow' }, 98);
  const groups = groupAlike([late, ...other, old2, decided, allowed, old1], w);
  assert.deepEqual(
    groups.map((g) => g.items.map((r) => r.id)),
    [
      [old1.id, old2.id],
      [other[0].id, other[1].id],
    ],
  );
  assert.equal(groups[0].key, batchKeyOf(old1));

  // Exactly `window` apart is inside; one ms more is outside.
  const edge = [request({}, 30), request({}, 15)];
  assert.equal(groupAlike(edge, w).length, 1);
  assert.equal(groupAlike(edge, w - 1).length, 0);

  const many = Array.from({ length: BATCH_MAX_ITEMS + 2 }, () => request({}, 5));
  assert.deepEqual(
    groupAlike(many, w).map((g) => g.items.length),
    [BATCH_MAX_ITEMS, 2],
  );
});

test('distinguishing: common once, what differs per item, nothing dropped', () => {
  const a = request({
    resource: 'r://x',
    params: { table: 'users', rows: 10, opts: { gz: true } },
  });
  const b = request({ resource: 'r://x', params: { table: 'orders', rows: 10 }, risk: 'high' });
  const d = distinguishing([a, b]);
  assert.deepEqual(d.common, {
    resource: 'r://x',
    justification: null,
    on_behalf_of: null,
    'params.rows': 10,
  });
  assert.deepEqual(d.items, [
    { id: a.id, differs: { risk: null, 'params.table': 'users', 'params.opts.gz': true } },
    { id: b.id, differs: { risk: 'high', 'params.table': 'orders' } },
  ]);
});

test('distinguishing: two different actions never look the same (keys with dots, empty objects, arrays)', () => {
  const pairs: Array<[JsonObject, JsonObject]> = [
    [{ 'a.b': 1 }, { a: { b: 1 } }],
    [{ a: {} }, {}],
    [{ a: [] }, { a: {} }],
    [{ a: [1, 2] }, { a: [2, 1] }],
    [{ 'a"]': 1 }, { a: 1 }],
    [JSON.parse('{"__proto__": 1}') as JsonObject, {}],
    [{ a: null }, {}],
  ];
  for (const [p, q] of pairs) {
    const x = request({ resource: 'r://same', params: p });
    const y = request({ resource: 'r://same', params: q });
    assert.notEqual(x.digest, y.digest);
    const d = distinguishing([x, y]);
    const view = (i: number) => JSON.stringify({ ...d.common, ...d.items[i].differs });
    assert.notEqual(view(0), view(1), `${JSON.stringify(p)} vs ${JSON.stringify(q)}`);
    // The union of common and differs is the item's whole flattened request.
    assert.deepEqual(
      new Map(Object.entries({ ...d.common, ...d.items[0].differs })),
      flattenRequest(x),
    );
  }
});

test('judgeBatch: counts only when every item counts, each as judgeVote would alone', () => {
  const [a, b] = [request(), request()];
  const v = judgeBatch(batch([item(a), item(b)]));
  assert.equal(v.verdict, 'counted');
  if (v.verdict !== 'counted') return;
  assert.deepEqual(
    v.items.map((i) => i.id),
    [a.id, b.id],
  );
  for (const [n, r] of [a, b].entries()) {
    const alone = judgeVote({
      record: r,
      voter: { id: 'alice', groups: ['data-owners'] },
      vote: 'approve',
      channel: 'api',
      breakGlass: false,
      comment: null,
      priorVotes: [],
      parties,
      now: NOW,
    });
    assert.deepEqual(v.items[n].verdict, alone);
  }
  // A quorum of two: each item counts one approval and stays pending.
  const q2 = { approval: requirement(clause({ quorum: 2 })) };
  const two = judgeBatch(batch([item(request(q2)), item(request(q2))]));
  assert.deepEqual(two.verdict === 'counted' && two.items.map((i) => i.verdict.then), [
    'pending',
    'pending',
  ]);
  const deny = judgeBatch(batch([item(request()), item(request())], { vote: 'deny' }));
  assert.deepEqual(deny.verdict === 'counted' && deny.items.map((i) => i.verdict.then), [
    'denied',
    'denied',
  ]);
});

test('judgeBatch: malformed batches are invalid, whatever the items', () => {
  const [a, b] = [request(), request()];
  assert.equal(codes(batch([item(a)])), 'invalid:invalid_request');
  const many = Array.from({ length: BATCH_MAX_ITEMS + 1 }, () => item(request()));
  assert.equal(codes(batch(many)), 'invalid:invalid_request');
  assert.equal(codes(batch(many.slice(0, BATCH_MAX_ITEMS))), 'counted');
  assert.equal(codes(batch([item(a), item(a)])), 'invalid:invalid_request');
  assert.equal(
    codes(
      batch([item(a), item(b)], {
        breakGlass: true,
        comment: 'fire',
        voter: { id: 'carol', groups: [] },
      }),
    ),
    'invalid:invalid_request',
  );
});

test('judgeBatch: one item that cannot be decided as seen refuses the whole batch, naming it', () => {
  const ok = () => item(request());
  const r = request();
  const cases: Array<[string, BatchItemCase, string]> = [
    ['missing', item(undefined), 'act_missing:not_found:null'],
    [
      'not eligible (status hidden)',
      item(request({ approval: requirement(clause({ from: ['sre'] })), status: 'approved' })),
      ':not_eligible:null',
    ],
    ['other digest', item(r, { digest: request().digest }), `${r.id}:digest_mismatch:pending`],
    ['other agent', item(request({ agent_id: 'other' })), ':not_alike:pending'],
    ['other action', item(request({ action: 'db.query' })), ':not_alike:pending'],
    ['other rules', item(request({ rules: ['export', 'pii'] })), ':not_alike:pending'],
    ['other environment', item(request({ environment: 'staging' })), ':not_alike:pending'],
    // The window runs from the batch's oldest item: the one 16 minutes newer is outside.
    ['outside the window', item(request({}, -16)), ':not_alike:pending'],
    ['decided meanwhile', item(request({ status: 'denied' })), ':already_decided:denied'],
    ['expired', item(request({ expires_at: NOW })), ':request_expired:pending'],
    [
      'requested for the voter',
      item(request(), { parties: { ...parties, on_behalf_of: 'alice' } }),
      ':self_approval_forbidden:pending',
    ],
    [
      'owned by the voter',
      item(request(), { parties: { ...parties, agent_owners: ['alice'] } }),
      ':self_approval_forbidden:pending',
    ],
    [
      'step-up through the API',
      item(request({ approval: requirement(clause({ step_up: 'web' })) })),
      ':step_up_required:pending',
    ],
    [
      'already voted',
      item(request(), {
        priorVotes: [
          { user: 'alice', vote: 'approve', groups: ['data-owners'], outcome: 'counted' },
        ],
      }),
      ':already_voted:pending',
    ],
  ];
  for (const [name, odd, expected] of cases) {
    const got = codes(batch([ok(), odd, ok()]));
    assert.ok(Array.isArray(got) && got.length === 1, `${name}: ${String(got)}`);
    assert.ok(got[0].endsWith(expected), `${name}: ${got[0]}`);
  }
  // Every failing item is named, not just the first.
  const many = codes(batch([ok(), item(request({ status: 'approved' })), item(undefined)]));
  assert.equal(Array.isArray(many) && many.length, 2);
  // A deny needs no step-up: the same batch denies.
  const stepUp = { approval: requirement(clause({ step_up: 'web' })) };
  assert.equal(
    codes(batch([item(request(stepUp)), item(request(stepUp))], { vote: 'deny' })),
    'counted',
  );
  assert.equal(
    codes(batch([item(request(stepUp)), item(request(stepUp))], { channel: 'web' })),
    'counted',
  );
});

test('judgeBatch: the odd one out is the item not alike, however the list is ordered', () => {
  const odd = request({ agent_id: 'other' });
  for (const order of [0, 1, 2]) {
    const items = [item(request()), item(request())];
    items.splice(order, 0, item(odd));
    const got = codes(batch(items));
    assert.deepEqual(got, [`${odd.id}:not_alike:pending`]);
  }
});
