import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, exited, freePort, startServer, workspace } from './cli-harness.js';

const LIVE = `version: 1
rules:
  - id: read
    match: { action: db.read }
    decision: allow
  - id: export
    match: { action: db.export }
    require_approval: { from: [data-owners] }
  - id: drop
    match: { action: db.drop }
    decision: deny
`;

/**
 * Replay and suggest against a real gateway's SQLite log: requests submitted and approved
 * through the API, then read from the store after the gateway stopped (no export needed).
 */
describe('countersign policy replay and suggest over the gateway store', () => {
  const { dir, config } = workspace(LIVE);
  const approved: string[] = [];

  before(async () => {
    const port = await freePort();
    const server = await startServer(config, port);
    const url = `http://127.0.0.1:${port}`;
    const token = (kind: string, id: string) => {
      const created = cli(['token', 'create', `--${kind}`, id, '--config', config]);
      assert.equal(created.status, 0, created.stderr);
      return created.stdout.trim();
    };
    const agent = token('agent', 'exporter');
    const alice = token('user', 'alice');
    const call = async (who: string, path: string, body: unknown) => {
      const res = await fetch(url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${who}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { id: string } };
    };
    try {
      for (let i = 0; i < 3; i++) {
        const r = await call(agent, '/v1/actions', {
          action: 'db.export',
          resource: 'postgres://prod/orders',
          environment: 'production',
          params: { rows: 10 },
        });
        assert.equal(r.status, 201, JSON.stringify(r.body));
        approved.push(r.body.id);
        const v = await call(alice, `/v1/actions/${r.body.id}/votes`, { vote: 'approve' });
        assert.equal(v.status, 200, JSON.stringify(v.body));
      }
      for (const action of ['db.read', 'db.drop']) {
        const r = await call(agent, '/v1/actions', { action, resource: 'postgres://prod/t' });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  });

  const candidate = (yaml: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'countersign-candidate-')), 'candidate.yaml');
    writeFileSync(file, yaml);
    return file;
  };

  test('replay reads the store: the approvals an allow would have skipped', () => {
    const file = candidate(
      LIVE.replace('require_approval: { from: [data-owners] }', 'decision: allow'),
    );
    const r = cli(['policy', 'replay', file, '-c', config, '--json', '--fail-on', 'loosened']);
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      requests: number;
      unchanged: number;
      changes: Record<string, { count: number; examples: Array<{ id: string }> }>;
    };
    assert.equal(report.requests, 5);
    assert.equal(report.unchanged, 2);
    assert.equal(report.changes['allowed-that-needed-approval'].count, 3);
    assert.deepEqual(
      report.changes['allowed-that-needed-approval'].examples.map((e) => e.id),
      approved,
    );
  });

  test('suggest, applied, allows exactly the three approved requests; the policy file is untouched', () => {
    const s = cli(['policy', 'suggest', '-c', config, '--min-approvals', '3', '--json']);
    assert.equal(s.status, 0, s.stderr);
    const { suggestions, policy } = JSON.parse(s.stdout) as {
      suggestions: Array<{ kind: string; evidence: { approvals: number; approvers: string[] } }>;
      policy: string;
    };
    assert.equal(suggestions.length, 1);
    // Every request of the rule was approved unchanged: one allow for the rule, bounded.
    assert.equal(suggestions[0].kind, 'bounded-allow');
    assert.deepEqual(suggestions[0].evidence.approvers, ['alice']);
    assert.equal(readFileSync(join(dir, 'policy.yaml'), 'utf8'), LIVE);
    const r = cli(['policy', 'replay', candidate(policy), '-c', config, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      unchanged: number;
      changes: Record<string, { count: number; examples: Array<{ id: string }> }>;
    };
    assert.equal(report.unchanged, 2);
    assert.deepEqual(
      report.changes['allowed-that-needed-approval'].examples.map((e) => e.id),
      approved,
    );
  });

  test('suggest prints the bounds with their evidence, and the standing-approval alternative', () => {
    const s = cli(['policy', 'suggest', '-c', config, '--min-approvals', '3']);
    assert.equal(s.status, 0, s.stderr);
    assert.match(
      s.stdout,
      /^allow under export, bounded to what was seen: new rule export-allow-1 before export$/m,
    );
    assert.match(
      s.stdout,
      /all 3 requests approved unchanged, 0 denials, by 1 approvers \(alice\)/,
    );
    assert.match(s.stdout, /params\.rows: at most 10 observed \(bound 0 to 10\)/);
    assert.match(s.stdout, /resources pinned \(1 seen\): "postgres:\/\/prod\/orders"/);
    assert.match(s.stdout, /agents pinned: "exporter"/);
    // One reviewer, no step-up: a standing approval is the alternative (text only).
    assert.match(
      s.stdout,
      /or ask a reviewer for a standing approval: countersign actions approve ID --standing-when 'has\(params\.rows\) && .*params\.rows <= 10 && resource in \["postgres:\/\/prod\/orders"\] && agent\.id in \["exporter"\]' --standing-for 8h/,
    );
    assert.match(s.stdout, new RegExp(`e\\.g\\. ${approved[0]}`));
    assert.match(s.stdout, /^\+ {4}when: has\(params\.rows\)/m);
    assert.match(s.stderr, /not applied/);
    assert.equal(readFileSync(join(dir, 'policy.yaml'), 'utf8'), LIVE);
  });
});
