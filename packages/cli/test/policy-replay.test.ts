import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, loadPolicy, type JsonObject } from '@countersign/core';
import { cli, workspace } from './cli-harness.js';

/** The policy in force when the log was recorded. */
const LIVE = `version: 1
rules:
  - id: read
    match: { action: db.read }
    decision: allow
  - id: export
    match: { action: db.export }
    require_approval: { from: [data-owners] }
  - id: wipe
    match: { action: db.wipe }
    require_approval: { from: [data-owners] }
  - id: drop
    match: { action: db.drop }
    decision: deny
`;

const EVIL = 'evil\u001b[2J\u202eagent';

/** Entries as the gateway writes them (server/src/audit/audit-events.ts); not chained. */
function logLines(): string[] {
  const lines: unknown[] = [];
  let t = Date.UTC(2026, 0, 1);
  const at = () => new Date((t += 60_000)).toISOString();
  const request = (
    id: string,
    agent: string,
    action: string,
    resource: string,
    decision: 'allow' | 'deny' | 'require_approval',
    rules: string[],
    votes: Array<['approve' | 'deny', string]> = [],
  ) => {
    const actor = { kind: 'agent', id: agent };
    lines.push({
      at: at(),
      type: 'action.submitted',
      actor,
      request_id: id,
      data: {
        action,
        resource,
        environment: 'production',
        params: { rows: 10 },
        justification: null,
        risk: null,
        on_behalf_of: null,
        context: null,
        idempotency_key: null,
        digest: 'sha256:00',
      },
    });
    const approval =
      decision === 'require_approval'
        ? {
            clauses: rules.map((rule) => ({
              rule,
              from: ['data-owners'],
              groups: [{ group: 'data-owners', min: 0 }],
              quorum: 1,
              break_glass: [],
            })),
            timeout_ms: 1_800_000,
            on_timeout: 'deny',
            justification_required: false,
          }
        : null;
    lines.push({
      at: at(),
      type: 'action.decided_by_policy',
      actor,
      request_id: id,
      data: {
        decision,
        status: decision === 'allow' ? 'approved' : decision === 'deny' ? 'denied' : 'pending',
        rules,
        reason: 'r',
        policy_version: 'sha256:live',
        expires_at: null,
        approval,
        grant: null,
      },
    });
    for (const [vote, user] of votes) {
      lines.push({
        at: at(),
        type: 'action.vote_counted',
        actor: { kind: 'user', id: user },
        request_id: id,
        data: {
          vote,
          comment: null,
          channel: 'api',
          evidence: null,
          groups: ['data-owners'],
          break_glass: false,
        },
      });
    }
    if (decision === 'require_approval') {
      const status = votes.some(([v]) => v === 'deny') ? 'denied' : 'approved';
      lines.push({
        at: at(),
        type: `action.${status}`,
        actor: { kind: 'user', id: 'alice' },
        request_id: id,
        data: { status, reason: 'r' },
      });
    }
  };
  request('r1', 'exporter', 'db.read', 'pg://prod/a', 'allow', ['read']);
  for (const id of ['r2', 'r3', 'r4']) {
    request(
      id,
      'exporter',
      'db.export',
      'pg://prod/a',
      'require_approval',
      ['export'],
      [['approve', 'alice']],
    );
  }
  request(
    'r5',
    'exporter',
    'db.export',
    'pg://prod/b',
    'require_approval',
    ['export'],
    [['deny', 'alice']],
  );
  request('r6', 'exporter', 'db.drop', 'pg://prod/a', 'deny', ['drop']);
  request('r7', EVIL, 'db.read', 'pg://prod/\u001b]8;;https://x\u0007', 'allow', ['read']);
  request(
    'r8',
    'exporter',
    'db.wipe',
    'pg://prod/a',
    'require_approval',
    ['wipe'],
    [['deny', 'alice']],
  );
  request(
    'r9',
    'exporter',
    'db.wipe',
    'pg://prod/b',
    'require_approval',
    ['wipe'],
    [['deny', 'alice']],
  );
  // Not a request: skipped.
  lines.push({
    at: at(),
    type: 'policy.loaded',
    actor: { kind: 'system', id: 'gateway-start' },
    data: {},
  });
  return lines.map((e, index) => canonicalJson({ v: 1, index, prev: null, ...(e as object) }));
}

function setup() {
  const ws = workspace(LIVE);
  const log = join(ws.dir, 'entries.jsonl');
  writeFileSync(
    log,
    logLines()
      .map((l) => `${l}\n`)
      .join(''),
  );
  const candidate = (yaml: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'countersign-candidate-')), 'candidate.yaml');
    writeFileSync(file, yaml);
    return file;
  };
  const replay = (file: string, ...args: string[]) =>
    cli(['policy', 'replay', file, '-c', ws.config, '--log', log, ...args]);
  return { ws, log, candidate, replay };
}

const json = (stdout: string) =>
  JSON.parse(stdout) as {
    requests: number;
    unchanged: number;
    changes: Record<string, { count: number; examples: Array<{ id: string }> }>;
    failed_on: string[];
  };

/** Counts of the kinds that occurred. */
const counts = (stdout: string) =>
  Object.fromEntries(
    Object.entries(json(stdout).changes)
      .filter(([, c]) => c.count > 0)
      .map(([k, c]) => [k, c.count]),
  );

describe('countersign policy replay', () => {
  const { candidate, replay } = setup();

  test('the live policy replays unchanged', () => {
    const r = replay(candidate(LIVE), '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(json(r.stdout).requests, 9);
    assert.equal(json(r.stdout).unchanged, 9);
    assert.deepEqual(counts(r.stdout), {});
  });

  test('loosening: allowed-that-needed-approval, allowed-that-was-denied, needs-approval-that-was-denied; needs-approval-that-was-allowed', () => {
    const file = candidate(
      LIVE.replace(
        'match: { action: db.export }\n    require_approval: { from: [data-owners] }',
        'match: { action: db.export }\n    decision: allow',
      )
        .replace(
          'match: { action: db.read }\n    decision: allow',
          'match: { action: db.read }\n    require_approval: { from: [data-owners] }',
        )
        .replace(
          'match: { action: db.drop }\n    decision: deny',
          'match: { action: db.drop }\n    require_approval: { from: [data-owners] }',
        ),
    );
    const r = replay(file, '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(counts(r.stdout), {
      'allowed-that-needed-approval': 3,
      'allowed-that-was-denied': 1,
      'needs-approval-that-was-denied': 1,
      'needs-approval-that-was-allowed': 2,
    });
    assert.deepEqual(
      json(r.stdout).changes['allowed-that-needed-approval'].examples.map((e) => e.id),
      ['r2', 'r3', 'r4'],
    );
    assert.equal(replay(file, '--fail-on', 'loosened').status, 1);
    assert.equal(replay(file, '--fail-on', 'allowed-that-was-denied').status, 1);
    assert.equal(replay(file, '--fail-on', 'denied-that-was-approved').status, 0);
  });

  test('tightening: denied-that-was-approved, denied-that-needed-approval, denied-that-was-allowed', () => {
    const file = candidate(
      LIVE.replace('require_approval: { from: [data-owners] }', 'decision: deny').replace(
        'match: { action: db.read }\n    decision: allow',
        'match: { action: db.read }\n    decision: deny',
      ),
    );
    const r = replay(file, '--json', '--fail-on', 'tightened');
    assert.equal(r.status, 1);
    assert.deepEqual(counts(r.stdout), {
      'denied-that-was-approved': 3,
      'denied-that-needed-approval': 1,
      'denied-that-was-allowed': 2,
    });
    assert.ok(json(r.stdout).failed_on.includes('denied-that-was-approved'));
    assert.equal(replay(file, '--fail-on', 'loosened').status, 0);
  });

  test('quorum, approver and rule changes', () => {
    const more = LIVE.replaceAll('{ from: [data-owners] }', '{ from: [data-owners], quorum: 2 }');
    assert.deepEqual(counts(replay(candidate(more), '--json').stdout), { 'approval-tightened': 6 });
    const back = candidate(LIVE);
    const other = LIVE.replaceAll('{ from: [data-owners] }', '{ from: [sre-oncall] }');
    assert.deepEqual(counts(replay(candidate(other), '--json').stdout), { 'approvers-changed': 6 });
    const renamed = LIVE.replace('id: drop', 'id: no-drops');
    assert.deepEqual(counts(replay(candidate(renamed), '--json').stdout), { 'rules-changed': 1 });
    assert.equal(replay(back, '--fail-on', 'any').status, 0);
  });

  test('--from and --to select by submission time; a bad date exits 2', () => {
    const r = replay(
      candidate(LIVE),
      '--json',
      '--from',
      '2026-01-01T00:10:00Z',
      '--to',
      '2026-01-02',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(json(r.stdout).requests < 9 && json(r.stdout).requests > 0);
    const bad = replay(candidate(LIVE), '--from', 'yesterday-ish');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--from yesterday-ish/);
    assert.equal(replay(candidate(LIVE), '--fail-on', 'everything').status, 2);
  });

  test('an invalid candidate exits 2 naming file:line', () => {
    const file = candidate('version: 1\nrules:\n  - id: x\n    decision: maybe\n');
    const r = replay(file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /candidate\.yaml:4/);
  });

  test('agent-controlled text is printed inert', () => {
    const file = candidate(
      LIVE.replace(
        'match: { action: db.read }\n    decision: allow',
        'match: { action: db.read }\n    decision: deny',
      ),
    );
    const r = replay(file);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /denied-that-was-allowed: 2/);
    assert.match(r.stdout, /evil␛\[2J⟨RLO⟩agent/);
    for (const c of ['\u001b', '\u0007', '\u202e'])
      assert.ok(!r.stdout.includes(c), `raw ${escape(c)}`);
    // --json too: the same value, with what a terminal would obey written as \u escapes.
    const j = replay(file, '--json');
    assert.equal(j.status, 0, j.stderr);
    assert.ok(j.stdout.includes('"agent": "evil\\u001b[2J\\u202eagent"'), j.stdout);
    for (const c of ['\u001b', '\u0007', '\u202e'])
      assert.ok(!j.stdout.includes(c), `raw ${escape(c)} in --json`);
  });
});

describe('countersign policy suggest', () => {
  const { ws, log, candidate, replay } = setup();
  const policyFile = join(ws.dir, 'policy.yaml');

  test('proposes an allow for the always-approved pattern and a deny for the always-denied rule; writes nothing', () => {
    const r = cli(['policy', 'suggest', '-c', ws.config, '--log', log, '--min-approvals', '2']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /allow db\.export on pg:\/\/prod\/a \(production\) by agent exporter: new rule export-allow-1 before export/,
    );
    assert.match(r.stdout, /3 approvals, 0 denials, by 1 approvers \(alice\)/);
    assert.match(r.stdout, /deny under wipe: every one of its 2 requests was denied/);
    assert.match(r.stdout, /^--- a\/policy\.yaml$/m);
    assert.match(r.stdout, /^\+ {2}- id: export-allow-1$/m);
    assert.match(r.stderr, /not applied/);
    assert.equal(readFileSync(policyFile, 'utf8'), LIVE);
  });

  test('the suggested policy loads and, replayed, allows exactly the observed pattern', () => {
    const r = cli([
      'policy',
      'suggest',
      '-c',
      ws.config,
      '--log',
      log,
      '--min-approvals',
      '2',
      '--json',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const { policy } = JSON.parse(r.stdout) as { policy: string };
    loadPolicy(policy, {
      file: 'suggested.yaml',
      groups: new Set(['data-owners', 'sre-oncall']),
      users: new Set(['alice', 'root']),
    });
    const out = replay(candidate(policy), '--json');
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(counts(out.stdout), {
      'allowed-that-needed-approval': 3,
      'denied-that-needed-approval': 2,
    });
    assert.deepEqual(
      json(out.stdout).changes['allowed-that-needed-approval'].examples.map((e) => e.id),
      ['r2', 'r3', 'r4'],
    );
    assert.equal(readFileSync(policyFile, 'utf8'), LIVE);
  });

  test('below the threshold there is nothing to suggest', () => {
    const r = cli(['policy', 'suggest', '-c', ws.config, '--log', log, '--min-approvals', '4']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /no suggestions/);
    assert.equal(
      cli(['policy', 'suggest', '-c', ws.config, '--log', log, '--min-approvals', '0']).status,
      2,
    );
  });
});

describe('countersign policy replay: agent owners as they were', () => {
  const { ws, candidate, replay } = setup();
  /** Denies exports of agents carol owns: only owners decide, so the owners used show. */
  const CAROL = LIVE.replace(
    '  - id: export\n',
    `  - id: carols-agents\n    match: { action: db.export }\n    when: '"carol" in agent.owners'\n    decision: deny\n  - id: export\n`,
  );
  const minute = (m: number) => new Date(Date.UTC(2026, 0, 1) + m * 60_000).toISOString();
  const directory = (at: string, type: string, data: JsonObject) =>
    canonicalJson({
      v: 1,
      index: 0,
      prev: null,
      at,
      type,
      actor: { kind: 'system', id: 'gateway-start' },
      data,
    });

  test('a log without directory history: today’s owners, and the output says how many', () => {
    const r = replay(candidate(CAROL));
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /9 replayed with today's agent owners: the log has no directory history/,
    );
    const j = replay(candidate(CAROL), '--json');
    assert.equal((JSON.parse(j.stdout) as { owners_from_today: number }).owners_from_today, 9);
  });

  test('carol owned the exporter for r2 and r3, not for r4: only those two change', () => {
    // Today the config says root owns the exporter; the log says carol did, until minute 10.5.
    const lines = logLines();
    const r4 = lines.findIndex((l) => (JSON.parse(l) as { at: string }).at > minute(10.5));
    const log = [
      directory(minute(0), 'directory.baseline', {
        directory: { users: {}, groups: [], agents: { exporter: { owners: ['carol'] } } },
      }),
      ...lines.slice(0, r4),
      directory(minute(10.5), 'directory.agent_owner_removed', {
        agent: 'exporter',
        user: 'carol',
      }),
      directory(minute(10.5), 'directory.agent_owner_added', { agent: 'exporter', user: 'root' }),
      ...lines.slice(r4),
    ];
    const file = join(ws.dir, 'owners.jsonl');
    writeFileSync(file, log.map((l) => `${l}\n`).join(''));
    const r = cli(['policy', 'replay', candidate(CAROL), '-c', ws.config, '--log', file, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ReturnType<typeof json> & { owners_from_today: number };
    assert.equal(report.owners_from_today, 0);
    assert.deepEqual(
      report.changes['denied-that-was-approved'].examples.map((e) => e.id),
      ['r2', 'r3'],
    );
    const text = cli(['policy', 'replay', candidate(CAROL), '-c', ws.config, '--log', file]);
    assert.doesNotMatch(text.stdout, /today's agent owners/);
  });
});
