import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPolicy } from './load-policy.js';
import type { RecordedRequest } from './recorded-requests.js';
import { replayPolicy } from './replay.js';
import { suggestPolicy } from './suggest.js';

const KNOWN = { groups: new Set(['data-owners', 'security']), users: new Set(['alice']) };

const POLICY = `version: 1
rules:
  # exports of customer data
  - id: export
    match: { action: db.export }
    when: params.rows > 10
    require_approval:
      from: [data-owners]
    step_up: web
  - id: grants
    match: { action: iam.grant }
    require_approval: { from: [security] }
    step_up: web
    notify: { slack: { channels: [C0123ABCD], dm: false } }
`;

const LIVE = loadPolicy(POLICY, { file: 'policy.yaml', ...KNOWN });
let n = 0;
function request(
  rule: string,
  action: string,
  resource: string,
  outcome: 'approved' | 'denied',
  agent = 'exporter',
): RecordedRequest {
  const at = new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString();
  const input = { action, resource, environment: 'production', params: { rows: 50 } };
  // What the live policy recorded: its own approval requirement.
  const live = LIVE.evaluate({ ...input, agent: { id: agent, owners: [] } });
  return {
    id: `act_${n++}`,
    at,
    input: {
      action,
      resource,
      environment: 'production',
      params: { rows: 50 },
      agent: { id: agent },
    },
    redacted: false,
    recorded: {
      decision: 'require_approval',
      rules: [rule],
      approval: live.approval ?? null,
      policy_version: '',
    },
    outcome,
    approvers: outcome === 'approved' ? ['alice'] : [],
    denials: outcome === 'denied' ? 1 : 0,
    break_glass: false,
    settled_at: at,
  };
}

const HOSTILE = 'postgres://prod/a"b\'c\n) || true || ("';

test('allows for two patterns under one rule, a deny for an always-denied rule: the result loads and replays as exactly those changes', async () => {
  const log = [
    ...[1, 2].map(() => request('export', 'db.export', 'postgres://prod/orders', 'approved')),
    ...[1, 2].map(() => request('export', 'db.export', HOSTILE, 'approved', 'bot\u202e')),
    request('export', 'db.export', 'postgres://prod/other', 'approved'),
    ...[1, 2].map(() => request('grants', 'iam.grant', 'iam://admin', 'denied')),
  ];
  const result = await suggestPolicy(POLICY, [log], { minApprovals: 2, file: 'policy.yaml' });
  assert.deepEqual(
    result.suggestions.map((s) => [s.kind, s.rule, s.kind === 'allow' ? s.new_rule : '']),
    [
      ['allow', 'export', 'export-allow-1'],
      ['allow', 'export', 'export-allow-2'],
      ['deny', 'grants', ''],
    ],
  );
  const policy = loadPolicy(result.policy, { file: 'suggested.yaml', ...KNOWN });
  assert.equal(policy.rules.find((r) => r.id === 'grants')?.effect, 'deny');
  const report = await replayPolicy(policy, [log], { examples: 10 });
  assert.deepEqual(
    report.changes['allowed-that-needed-approval'].examples.map((e) => e.id),
    log.slice(0, 4).map((r) => r.id),
  );
  assert.equal(report.changes['denied-that-needed-approval'].count, 2);
  assert.equal(report.unchanged, 1);
});

test('one pattern: the edit is textual, every other line of the file is kept byte for byte', async () => {
  const log = [1, 2, 3].map(() =>
    request('export', 'db.export', 'postgres://prod/orders', 'approved'),
  );
  const result = await suggestPolicy(POLICY, [log], { minApprovals: 3, file: 'policy.yaml' });
  const removed = result.diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'));
  assert.deepEqual(removed, ['-    when: params.rows > 10']);
  assert.match(result.diff, /^\+ {4}when: \(params\.rows > 10\) && !\(agent\.id == "exporter"/m);
  assert.match(result.policy, /# exports of customer data/);
  loadPolicy(result.policy, { file: 'suggested.yaml', ...KNOWN });
});

test('nothing to suggest: the policy and an empty diff come back unchanged', async () => {
  const log = [request('export', 'db.export', 'postgres://prod/*', 'approved')];
  const result = await suggestPolicy(POLICY, [log, log], { minApprovals: 1, file: 'policy.yaml' });
  assert.deepEqual(result.suggestions, []);
  assert.equal(result.policy, POLICY);
  assert.equal(result.diff, '');
});
