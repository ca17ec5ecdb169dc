import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { generateNoteKey } from '@countersign/core';
import { openDatabase, type Soc2Report } from '@countersign/server';
import { cli, exited, freePort, startServer, workspace } from './cli-harness.js';

const CONFIG = `server: { host: 127.0.0.1, log_level: warn, public_url: "https://countersign.test" }
data_dir: data
scheduler: { tick_ms: 50 }
directory:
  groups: [{ id: data-owners, description: Owners of customer data }, { id: security }, { id: sre-oncall }]
  users:
    - { id: alice, email: alice@example.com, groups: [data-owners] }
    - { id: bob, email: bob@example.com, groups: [data-owners, security] }
    - { id: erin, email: erin@example.com, groups: [security] }
    - { id: carol, email: carol@example.com, groups: [sre-oncall] }
    - { id: root, admin: true }
  agents:
    - { id: exporter, owners: [bob] }
policy: policy.yaml
`;

const POLICY = `version: 1
redact: [params.password]
rules:
  - id: small-export
    match: { action: db.export }
    when: params.rows <= 10000
    decision: allow
  - id: big-export
    match: { action: db.export }
    when: params.rows > 10000
    require_approval: { from: [data-owners], quorum: 1 }
  - id: no-ddl
    match: { action: "db.ddl.*" }
    decision: deny
    reason: no DDL from agents
  - id: restarts
    match: { action: k8s.rollout.restart }
    require_approval: { from: [sre-oncall], timeout: 1s }
  - id: privilege-grant
    match: { action: iam.role.grant }
    require_approval: { from: [security], break_glass: [carol] }
`;

const SECRET = 'hunter2-SECRET-9f3a';
const INJECTION = 'postgres://prod/<script>alert(1)</script>';
const day = (offset: number) =>
  new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** What the tests read of `GET /v1/actions/:id`. */
interface ActionBody {
  id: string;
  status: string;
  code?: string;
  decided_at: string | null;
  policy_version: string;
  votes: Array<{ user: string; at: string }>;
}

describe('countersign report soc2', () => {
  const { dir, config } = workspace(POLICY);
  writeFileSync(config, CONFIG);
  let server: ChildProcess;
  let url = '';
  const ids: Record<string, string> = {};
  const api: Record<string, ActionBody> = {};
  let html = '';
  let report = {} as Soc2Report;

  /** `report soc2` over yesterday to tomorrow, against this suite's configuration. */
  const soc2 = (...flags: string[]) =>
    cli(['report', 'soc2', '--from', day(-1), '--to', day(1), ...flags, '--config', config]);

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as ActionBody };
  };

  before(async () => {
    const port = await freePort();
    server = await startServer(config, port);
    url = `http://127.0.0.1:${port}`;
    const token = (kind: string, id: string) => {
      const created = cli(['token', 'create', `--${kind}`, id, '--config', config]);
      assert.equal(created.status, 0, created.stderr);
      return created.stdout.trim();
    };
    const agent = token('agent', 'exporter');
    const [alice, bob, erin, carol, root] = ['alice', 'bob', 'erin', 'carol', 'root'].map((u) =>
      token('user', u),
    );
    const submit = async (name: string, body: object) => {
      const r = await call(agent, 'POST', '/v1/actions', body);
      assert.ok(r.status === 201, JSON.stringify(r.body));
      ids[name] = r.body.id;
    };
    const vote = async (name: string, who: string, body: object, expect: number) => {
      const r = await call(who, 'POST', `/v1/actions/${ids[name]}/votes`, body);
      assert.equal(r.status, expect, JSON.stringify(r.body));
      return r.body;
    };

    await submit('allowed', {
      action: 'db.export',
      resource: 'postgres://prod/small',
      params: { rows: 5 },
    });
    await submit('approved', {
      action: 'db.export',
      resource: INJECTION,
      environment: 'production',
      params: { rows: 50_000, password: SECRET },
      justification: 'quarterly numbers',
    });
    // bob owns the agent: refused; erin is not a data owner: refused; alice approves.
    assert.equal(
      (await vote('approved', bob, { vote: 'approve' }, 403)).code,
      'self_approval_forbidden',
    );
    assert.equal((await vote('approved', erin, { vote: 'approve' }, 403)).code, 'not_eligible');
    await vote('approved', alice, { vote: 'approve', comment: 'ok for Q3' }, 200);
    await submit('policy-denied', {
      action: 'db.ddl.drop',
      resource: 'postgres://prod/t',
      params: {},
    });
    await submit('denied', {
      action: 'db.export',
      resource: 'postgres://prod/all',
      params: { rows: 20_000 },
    });
    await vote('denied', alice, { vote: 'deny', comment: 'too broad' }, 200);
    await submit('expired', {
      action: 'k8s.rollout.restart',
      resource: 'k8s://prod/api',
      environment: 'production',
      params: {},
    });
    await submit('break-glass', {
      action: 'iam.role.grant',
      resource: 'iam://prod/admin',
      params: { role: 'admin' },
    });
    await vote(
      'break-glass',
      carol,
      { vote: 'approve', comment: 'incident 42: on-call needs access', break_glass: true },
      200,
    );
    await submit('cancelled', {
      action: 'db.export',
      resource: 'postgres://prod/x',
      params: { rows: 30_000 },
    });
    assert.equal(
      (await call(agent, 'POST', `/v1/actions/${ids.cancelled}/cancel`, {})).status,
      200,
    );
    await submit('old', {
      action: 'db.export',
      resource: 'postgres://old/outside-period',
      params: { rows: 40_000 },
    });
    // The restart times out after 1 s and the scheduler expires it (fail closed).
    for (let i = 0; i < 100; i++) {
      if ((await call(root, 'GET', `/v1/actions/${ids.expired}`)).body.status === 'expired') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const [name, id] of Object.entries(ids))
      api[name] = (await call(root, 'GET', `/v1/actions/${id}`)).body;
    assert.equal(api.expired?.status, 'expired');

    // A request from 2020: outside any recent period.
    const storage = await openDatabase({ dataDir: join(dir, 'data') });
    await storage.db
      .updateTable('actions')
      .set({ created_at: Date.UTC(2020, 0, 1, 12), updated_at: Date.UTC(2020, 0, 1, 12) })
      .where('id', '=', ids.old)
      .execute();
    await storage.close();

    // Sign a checkpoint now (on demand) so it covers everything above.
    const checkpoint = await fetch(`${url}/v1/audit/checkpoint`, {
      headers: { authorization: `Bearer ${root}` },
    });
    assert.equal(checkpoint.status, 200);

    const out = join(dir, 'report.html');
    const r = soc2('--out', out, '--json', '--accept-gateway-key');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /wrote .*report\.html \(and \.sig\): 7 requests/);
    html = readFileSync(out, 'utf8');
    report = JSON.parse(r.stdout) as Soc2Report;
  });

  after(async () => {
    server.kill('SIGTERM');
    await exited(server);
  });

  test('every section is there, labelled with the criteria it evidences and why', () => {
    for (const [title, criteria] of [
      ['Privileged actions in the period', 'CC6.1'],
      ['Who approved, and separation of duties', 'CC6.3'],
      ['Time to decision', 'CC7.2'],
      ['Denials, expiries, cancellations and break-glass', 'CC7.2'],
      ['Policy changes', 'CC8.1'],
      ['Approver group membership', 'CC6.2'],
      ['Audit log integrity', 'CC4.1'],
    ] as const) {
      assert.ok(html.includes(`>${title}</h2>`), title);
      const section = html.slice(html.indexOf(`>${title}</h2>`)).split('</section>')[0] ?? '';
      assert.match(
        section,
        new RegExp(`<span class="cc" [^>]*>${criteria.replace('.', '\\.')}</span>`),
      );
      assert.match(section, /<p class="why">.+\(CC\d\.\d\)/);
    }
    for (const key of [
      'privileged_actions',
      'approvals',
      'time_to_decision',
      'exceptions',
      'policy_changes',
      'approver_groups',
      'log_integrity',
    ] as const) {
      assert.ok(report[key].criteria.length > 0 && report[key].why.length > 20, key);
    }
  });

  test('counts by outcome, action and environment; the period excludes the 2020 request', () => {
    const p = report.privileged_actions;
    assert.equal(p.total, 7);
    assert.deepEqual(p.by_outcome, {
      allowed_by_policy: 1,
      denied_by_policy: 1,
      approved: 2,
      denied: 1,
      expired: 1,
      cancelled: 1,
      pending: 0,
    });
    const exports = p.by_action.find((c) => c.key === 'db.export');
    assert.equal(exports?.total, 4);
    assert.equal(p.by_environment.find((c) => c.key === 'production')?.total, 2);
    assert.deepEqual(
      p.approval_requests.map((r) => r.id).sort(),
      [ids.approved, ids.denied, ids.expired, ids['break-glass'], ids.cancelled].sort(),
    );
    assert.ok(!html.includes(ids.old) && !JSON.stringify(report).includes(ids.old));
    const old = cli([
      'report',
      'soc2',
      '--from',
      '2020-01-01',
      '--to',
      '2020-01-01',
      '--json',
      '--accept-gateway-key',
      '--config',
      config,
    ]);
    assert.equal(old.status, 0, old.stderr);
    const oldReport = JSON.parse(old.stdout) as Soc2Report;
    assert.deepEqual(
      oldReport.privileged_actions.approval_requests.map((r) => r.id),
      [ids.old],
    );
  });

  test('who approved each request and when, as the API recorded it', () => {
    const row = report.privileged_actions.approval_requests.find((r) => r.id === ids.approved);
    assert.equal(row?.decided_at, api.approved.decided_at);
    assert.deepEqual(
      row?.approvers.map((v) => [v.user, v.at, v.channel, v.comment]),
      [['alice', api.approved.votes[0].at, 'api', 'ok for Q3']],
    );
    const denied = report.privileged_actions.approval_requests.find((r) => r.id === ids.denied);
    assert.equal(denied?.denied_by?.user, 'alice');
    assert.equal(denied?.denied_by?.comment, 'too broad');
    assert.deepEqual(report.approvals.by_approver, [
      { user: 'alice', approvals: 1, denials: 1, break_glass: 0 },
      { user: 'carol', approvals: 1, denials: 0, break_glass: 1 },
    ]);
    assert.ok(html.includes('ok for Q3'));
  });

  test('separation of duties: refused self-approval and not-eligible votes are counted', () => {
    const a = report.approvals;
    assert.equal(a.refused.self_approval_forbidden, 1);
    assert.equal(a.refused.not_eligible, 1);
    assert.deepEqual(
      a.refused_attempts.map((r) => [r.user, r.code, r.request_id]),
      [
        ['bob', 'self_approval_forbidden', ids.approved],
        ['erin', 'not_eligible', ids.approved],
      ],
    );
    assert.deepEqual(a.interested_party_approvals, []);
  });

  test('time to decision: bucketed, with p50 and p90, as an inline SVG chart', () => {
    const t = report.time_to_decision;
    assert.equal(t.decided, 3);
    assert.deepEqual(
      t.buckets.map((b) => b.count),
      [3, 0, 0, 0, 0],
    );
    assert.ok(t.p50_ms !== null && t.p90_ms !== null && t.p50_ms <= t.p90_ms && t.p90_ms < 60_000);
    assert.deepEqual(t.undecided, { expired: 1, cancelled: 1, pending: 0 });
    assert.ok(/<svg\s+class="chart"\s+viewBox="[^"]+"\s+role="img"/.test(html), 'inline SVG chart');
    assert.ok(/<desc id="ttd-desc">&lt; 1 min: 3, 1–5 min: 0/.test(html), 'chart text alternative');
  });

  test('denials, expiries, cancellations, and each break-glass use with its reason', () => {
    const e = report.exceptions;
    assert.deepEqual(
      e.denied_by_policy.map((r) => [r.id, r.reason]),
      [[ids['policy-denied'], 'no DDL from agents']],
    );
    assert.deepEqual(
      e.denied_by_reviewer.map((r) => r.id),
      [ids.denied],
    );
    assert.deepEqual(
      e.expired.map((r) => r.id),
      [ids.expired],
    );
    assert.deepEqual(
      e.cancelled.map((r) => r.id),
      [ids.cancelled],
    );
    assert.equal(e.break_glass.length, 1);
    assert.equal(e.break_glass[0].id, ids['break-glass']);
    assert.equal(e.break_glass[0].approved_by, 'carol');
    assert.equal(e.break_glass[0].comment, 'incident 42: on-call needs access');
    assert.ok(html.includes('incident 42: on-call needs access'));
  });

  test('policy versions and approver groups (replayed from the directory evidence)', () => {
    const versions = report.policy_changes.versions_seen.map((v) => v.version);
    assert.deepEqual(versions, [api.approved.policy_version]);
    const groups = new Map(report.approver_groups.groups.map((g) => [g.id, g]));
    assert.deepEqual(
      groups.get('data-owners')?.members.map((m) => m.id),
      ['alice', 'bob'],
    );
    assert.deepEqual(groups.get('data-owners')?.approves_for, ['big-export']);
    assert.deepEqual(report.approver_groups.break_glass_users, [
      { user: 'carol', rules: ['privilege-grant'] },
    ]);
    assert.equal(report.approver_groups.source, 'audit_log');
    assert.ok(/Membership as recorded in the audit log at/.test(html));
  });

  test('an agent-supplied <script> is escaped, and the page can run no script at all', () => {
    assert.ok(!/<script/i.test(html), 'no script element anywhere');
    assert.ok(html.includes('postgres://prod/&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(/Content-Security-Policy"\s+content="default-src 'none'/.test(html), 'CSP');
    assert.ok(!/(src|href)="(https?:)?\/\//.test(html), 'no external asset');
  });

  test('a field the policy redacts never appears in the HTML or the JSON', () => {
    assert.ok(!html.includes(SECRET));
    assert.ok(!JSON.stringify(report).includes(SECRET));
    const row = report.privileged_actions.approval_requests.find((r) => r.id === ids.approved);
    assert.deepEqual(row?.params, { rows: 50_000, password: '[redacted]' });
    assert.deepEqual(report.source.redacted_paths, ['params.password']);
  });

  test('log integrity: verifyLog over the store, and the checkpoint it was checked against', () => {
    const l = report.log_integrity;
    assert.equal(l.status, 'verified', l.detail);
    assert.ok(l.checkpoint !== null && l.checkpoint.size > 0);
    assert.equal(l.entries, l.checkpoint.size);
    // The checkpoint is a C2SP signed note by the key the report verified with.
    const origin = l.checkpoint.origin;
    assert.ok(
      l.checkpoint.note.startsWith(
        `${origin}\n${l.checkpoint.size}\n${l.checkpoint.root_hash}\n\n— ${origin} `,
      ),
    );
    assert.ok(l.verifier_key?.startsWith(`${origin}+`), l.verifier_key ?? 'no key');
    assert.ok(html.includes(l.checkpoint.root_hash));
    assert.ok(html.includes('VERIFIED'));
    // The checkpoint note is printed verbatim (escaped), signature line included.
    assert.ok(html.includes(`— ${origin} `));
  });

  test('the audit log carries no plaintext of the redacted field either', async () => {
    const storage = await openDatabase({ dataDir: join(dir, 'data') });
    try {
      const rows = await storage.db.selectFrom('audit_entries').select('entry').execute();
      assert.ok(rows.length > 0);
      assert.ok(rows.every((r) => !r.entry.includes(SECRET)));
    } finally {
      await storage.close();
    }
  });

  test('bad periods are refused', () => {
    const bad = cli([
      'report',
      'soc2',
      '--from',
      '2025-02-30',
      '--to',
      '2025-03-01',
      '--json',
      '--config',
      config,
    ]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--from: expected a date YYYY-MM-DD/);
    const backwards = cli([
      'report',
      'soc2',
      '--from',
      '2025-03-02',
      '--to',
      '2025-03-01',
      '--json',
      '--config',
      config,
    ]);
    assert.match(backwards.stderr, /before --from/);
    const nowhere = cli([
      'report',
      'soc2',
      '--from',
      '2025-03-01',
      '--to',
      '2025-03-01',
      '--config',
      config,
    ]);
    assert.match(nowhere.stderr, /--out FILE/);
  });

  test('--fast-seconds sets the fast-approval threshold of the reviewer-load section', () => {
    // Without the flag: the configuration's threshold (this config sets none: 10 s).
    assert.equal(report.reviewer_load.fast_approval_threshold_ms, 10_000);
    const approvals = report.reviewer_load.reviewers.reduce((n, r) => n + r.approvals, 0);
    assert.ok(approvals > 0, 'the suite casts approvals');
    const r = soc2('--json', '--accept-gateway-key', '--fast-seconds', '3600.5');
    assert.equal(r.status, 0, r.stderr);
    const wide = (JSON.parse(r.stdout) as Soc2Report).reviewer_load;
    assert.equal(wide.fast_approval_threshold_ms, 3_600_500);
    // Every approval in this suite is cast within the hour: all are fast at this threshold.
    assert.equal(wide.fast_approvals, approvals);
    const out = join(dir, 'fast.html');
    assert.equal(soc2('--out', out, '--accept-gateway-key', '--fast-seconds', '2').status, 0);
    assert.match(readFileSync(out, 'utf8'), /fast approvals \(≤ 2(\.0)? ?s\)/);
    for (const bad of ['0', '-1', 'ten', '1e9', 'Infinity', '']) {
      const refused = soc2('--json', '--accept-gateway-key', '--fast-seconds', bad);
      assert.equal(refused.status, 2, `--fast-seconds ${bad}`);
      assert.match(refused.stderr, /--fast-seconds: expected a number of seconds/);
      assert.equal(refused.stdout, '');
    }
  });

  test('--key: verifying with a key the log was not signed by fails, and says so', () => {
    const other = generateNoteKey('someone-else/countersign').verifierKey;
    const r = soc2('--json', '--key', other);
    assert.equal(r.status, 1, r.stderr);
    const failed = JSON.parse(r.stdout) as Soc2Report;
    assert.equal(failed.log_integrity.status, 'failed');
    assert.equal(failed.log_integrity.verifier_key, other);
    assert.match(failed.log_integrity.detail, /Verifier key from the --key option/);
  });

  test('the log check needs a key from outside the gateway, or --accept-gateway-key', () => {
    const refused = soc2('--json');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /pass --key <vkey>, or --accept-gateway-key/);
    assert.equal(refused.stdout, '');
    const accepted = soc2('--json', '--accept-gateway-key');
    assert.equal(accepted.status, 0, accepted.stderr);
    assert.match(accepted.stderr, /WARNING: checking with the gateway's own key/);
  });

  test('report verify: signed HTML and JSON verify with the log key; refusals exit non-zero', () => {
    const html = join(dir, 'signed.html');
    const json = join(dir, 'signed.json');
    const key = report.log_integrity.verifier_key!;
    const made = soc2('--out', html, '--json-out', json, '--key', key);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stderr, /signed\.json \(and \.sig\)/);
    for (const file of [html, json]) {
      const ok = cli(['report', 'verify', file, '--key', key]);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /^OK signature: /m);
      assert.match(ok.stdout, /^OK checkpoint: the log at size \d+/m);
    }
    // No key from outside: refused, unless the gateway's is accepted (from an export).
    const nokey = cli(['report', 'verify', html]);
    assert.equal(nokey.status, 2);
    assert.match(nokey.stderr, /pass --key <vkey>/);
    const noLog = cli(['report', 'verify', html, '--accept-gateway-key']);
    assert.equal(noLog.status, 2);
    // The wrong key, tampered bytes, a signature for the other report: exit 1, with the code.
    const wrong = cli([
      'report',
      'verify',
      html,
      '--key',
      generateNoteKey(report.log_integrity.checkpoint!.origin).verifierKey,
    ]);
    assert.equal(wrong.status, 1);
    assert.match(wrong.stdout, /^FAIL signature_invalid: /);
    writeFileSync(html, readFileSync(html, 'utf8').replace('VERIFIED', 'VERIFIED!'));
    const tampered = cli(['report', 'verify', html, '--key', key]);
    assert.equal(tampered.status, 1);
    assert.match(tampered.stdout, /^FAIL report_modified: /);
    const swapped = cli(['report', 'verify', json, '--signature', `${html}.sig`, '--key', key]);
    assert.equal(swapped.status, 1);
    assert.match(swapped.stdout, /^FAIL report_modified: /);
  });

  test('report verify --log: the figures recounted from an audit export expose a request moved out of the period in the database', async () => {
    const json = join(dir, 'signed.json');
    const key = report.log_integrity.verifier_key!;
    const root = cli(['token', 'create', '--user', 'root', '--config', config]).stdout.trim();
    const exported = join(dir, 'export');
    const ex = cli(['audit', 'export', '--out', exported, '--url', url, '--token', root]);
    assert.equal(ex.status, 0, ex.stderr);
    const r = cli(['report', 'verify', json, '--key', key, '--log', exported]);
    assert.match(r.stdout, /^OK log: /m);
    assert.match(r.stdout, /^OK refused self-approvals: report 1, log 1$/m);
    assert.match(r.stdout, /^OK approvals by alice: report 1, log 1$/m);
    // `old` was submitted today (the log says so); its row was moved to 2020 in the database.
    assert.match(r.stdout, /^MISMATCH requests in the period: report 7, log 8$/m);
    assert.equal(r.status, 1, r.stdout);
  });

  // Last: it damages the store.
  test('an edited audit entry makes the report say FAILED, name the entry, and exit 1', async () => {
    const storage = await openDatabase({ dataDir: join(dir, 'data') });
    try {
      const row = await storage.db
        .selectFrom('audit_entries')
        .select(['idx', 'entry'])
        .where('type', '=', 'action.vote_counted')
        .orderBy('idx')
        .executeTakeFirstOrThrow();
      await storage.db
        .updateTable('audit_entries')
        .set({ entry: row.entry.replace('"alice"', '"mallory"') })
        .where('idx', '=', row.idx)
        .execute();
      const r = soc2('--json', '--accept-gateway-key');
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /audit log failed/);
      const failed = JSON.parse(r.stdout) as Soc2Report;
      assert.equal(failed.log_integrity.status, 'failed');
      assert.equal(failed.log_integrity.failure?.first_bad_index, Number(row.idx));
    } finally {
      await storage.close();
    }
  });
});
