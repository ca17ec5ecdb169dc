import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POLICY, cli, exited, freePort, startServer, workspace } from './cli-harness.js';
import { TOKEN_CACHE_MS } from '@countersign/server';

describe('countersign policy', () => {
  test('check reports the version of a good policy', () => {
    const { config } = workspace();
    const r = cli(['policy', 'check', '--config', config]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ok: .*policy\.yaml/);
    assert.match(r.stdout, /version sha256:[0-9a-f]{64}/);
    assert.match(r.stdout, /3 rules/);
  });

  test('check refuses a broken policy with file:line and exit 2', () => {
    const { config } = workspace(
      POLICY.replace('from: [data-owners]', 'from: [nobody]').replace(
        'decision: deny',
        'decison: deny',
      ),
    );
    const r = cli(['policy', 'check', '--config', config]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /policy\.yaml:10:\d+.*nobody/);
    assert.match(r.stderr, /policy\.yaml:13:\d+.*decison/);
  });

  test('test passes matching cases and fails (exit 1) on a mismatch', () => {
    const { dir, config } = workspace();
    const cases = join(dir, 'cases.yaml');
    writeFileSync(
      cases,
      `cases:
  - name: small export allowed
    request: { action: db.export, resource: pg://x, params: { rows: 5 } }
    expect: { decision: allow, rules: [small-export] }
  - name: ddl denied
    request: { action: db.ddl.drop, resource: pg://x }
    expect: { decision: deny }
`,
    );
    const ok = cli(['policy', 'test', cases, '--config', config]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /2 passed, 0 failed/);
    writeFileSync(cases, readFileSync(cases, 'utf8').replace('decision: deny', 'decision: allow'));
    const bad = cli(['policy', 'test', cases, '--config', config]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /FAIL ddl denied/);
    assert.match(bad.stdout, /1 passed, 1 failed/);
  });

  test('explain prints the decision, the rules and the digest', () => {
    const { config } = workspace();
    const r = cli(['policy', 'explain', '-', '--config', config], {
      input: JSON.stringify({ action: 'db.export', resource: 'pg://x', params: { rows: 50000 } }),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /require_approval/);
    assert.match(r.stdout, /big-export/);
    assert.match(r.stdout, /digest: sha256:/);
  });
});

describe('countersign init, token, actions', () => {
  test('init writes a starter config that passes policy check, and refuses to overwrite', () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-init-'));
    assert.equal(cli(['init', '--dir', dir]).status, 0);
    const check = cli(['policy', 'check', '--config', join(dir, 'countersign.yaml')]);
    assert.equal(check.status, 0, check.stderr);
    const again = cli(['init', '--dir', dir]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /--force/);
  });

  test('tokens are shown once, listed without secrets, and revoked', async () => {
    const { config } = workspace();
    const created = cli([
      'token',
      'create',
      '--user',
      'alice',
      '--config',
      config,
      '--label',
      'laptop',
    ]);
    assert.equal(created.status, 0, created.stderr);
    const token = created.stdout.trim();
    assert.match(token, /^csu_[A-Za-z0-9_-]{43}$/);
    const list = cli(['token', 'list', '--config', config]);
    assert.match(list.stdout, /alice .*active .*laptop/);
    assert.ok(!list.stdout.includes(token.slice(4)), 'the secret is never listed');
    assert.equal(cli(['token', 'create', '--user', 'nobody', '--config', config]).status, 1);

    const port = await freePort();
    const server = await startServer(config, port);
    try {
      const url = `http://127.0.0.1:${port}`;
      const agent = cli([
        'token',
        'create',
        '--agent',
        'exporter',
        '--config',
        config,
      ]).stdout.trim();
      const sub = await fetch(`${url}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          action: 'db.export',
          resource: 'pg://x',
          params: { rows: 99999, columns: ['id', 'email'], format: 'csv' },
          justification: 'Churn model refresh',
          risk: 'high',
        }),
      });
      const { id } = (await sub.json()) as { id: string };
      const listed = cli([
        'actions',
        'list',
        '--status',
        'pending',
        '--url',
        url,
        '--token',
        token,
      ]);
      assert.equal(listed.status, 0, listed.stderr);
      const [header, row, detail] = listed.stdout.split('\n');
      assert.match(header ?? '', /^ID\s+STATUS\s+ACTION\s+RESOURCE\s+AGENT\s+EXPIRES$/);
      assert.match(
        row ?? '',
        new RegExp(`^${id}\\s+pending\\s+db.export\\s+pg://x\\s+exporter\\s+in \\d+m$`),
      );
      // Why, and the parameters that tell it apart (scalars; the column list is in `show`).
      assert.equal(detail, '    “Churn model refresh”  rows=99999 format=csv');
      const shown = cli(['actions', 'show', id, '--url', url], {
        env: { COUNTERSIGN_TOKEN: token },
      });
      assert.equal(shown.status, 0, shown.stderr);
      for (const line of [
        /^db\.export on pg:\/\/x$/m,
        new RegExp(`^  id +${id}$`, 'm'),
        /^ {2}status +pending: needs approval/m,
        /^ {2}risk +high$/m,
        /^ {2}agent +exporter$/m,
        /^ {2}why +Churn model refresh$/m,
        /^ {2}rows +99999$/m,
        /^ {2}columns +\["id","email"\]$/m,
        /^votes\n {2}\(none\)$/m,
        /^grant +none yet$/m,
      ])
        assert.match(shown.stdout, line);
      const raw = cli(['actions', 'show', id, '--json', '--url', url], {
        env: { COUNTERSIGN_TOKEN: token },
      });
      assert.equal((JSON.parse(raw.stdout) as { id: string }).id, id);

      const approved = cli([
        'actions',
        'approve',
        id,
        '--comment',
        'looks right',
        '--url',
        url,
        '--token',
        token,
      ]);
      assert.equal(approved.status, 0, approved.stderr);
      assert.match(approved.stdout, new RegExp(`${id}: approved`));
      const afterVote = await fetch(`${url}/v1/actions/${id}`, {
        headers: { authorization: `Bearer ${agent}` },
      });
      const voted = (await afterVote.json()) as {
        votes: Array<{ user: string; channel: string; comment: string }>;
        grant: unknown;
      };
      // The CLI is an API client: its vote is recorded as channel `api`, whatever its
      // User-Agent says (a header is the client's claim, not authentication).
      assert.deepEqual(
        voted.votes.map((v) => [v.user, v.channel, v.comment]),
        [['alice', 'api', 'looks right']],
      );
      assert.ok(voted.grant, 'the approving vote signed a grant');
      const again = cli(['actions', 'deny', id, '--url', url, '--token', token]);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /already_decided/);

      assert.equal(cli(['token', 'revoke', '--user', 'alice', '--config', config]).status, 0);
      // A revocation made by another process reaches the gateway's token cache within
      // TOKEN_CACHE_MS (docs/operations.md).
      await new Promise((resolve) => setTimeout(resolve, TOKEN_CACHE_MS));
      const refused = cli(['actions', 'list', '--url', url, '--token', token]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /token_revoked/);
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  });
});

describe('countersign keys', () => {
  test('rotate makes a new active key; list shows both', () => {
    const { config } = workspace();
    const none = cli(['keys', 'list', '--json', '--config', config]);
    assert.deepEqual(JSON.parse(none.stdout), []); // the first key is made on first start or rotate
    const created = cli(['keys', 'rotate', '--config', config]);
    assert.match(created.stderr, /created the first/);
    const rotated = cli(['keys', 'rotate', '--config', config]);
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.match(rotated.stderr, /rotated: .* is retired/);
    const keys = JSON.parse(cli(['keys', 'list', '--json', '--config', config]).stdout) as Array<{
      active: boolean;
    }>;
    assert.equal(keys.length, 2);
    assert.equal(keys.filter((k) => k.active).length, 1);
  });
});
