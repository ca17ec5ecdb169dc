import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cli-harness.js';
import {
  INSTALL_TIMEOUT_MS,
  REPO,
  background,
  npmMissing,
  run,
  tokenFor,
  waitOutput,
  waitReady,
} from './install-harness.js';

// A new user's first ten minutes (issue 14): clone the repository into an empty directory
// (nothing beside it), run the README's two commands and every command its walkthrough shows,
// in the order it shows them. The clone is of HEAD: commit before running this locally.
test(
  'a fresh clone: npm install, npm start, the curl walkthrough, npx countersign, running it for real',
  { timeout: INSTALL_TIMEOUT_MS + 5 * 60_000, skip: npmMissing() },
  async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'countersign-clone-'));
    const dir = join(tmp, 'countersign');
    try {
      run('git', ['clone', '-q', '--no-hardlinks', REPO, dir], { cwd: tmp });
      // The clone stands alone: nothing else in its parent directory for it to reach.
      assert.deepEqual(readdirSync(tmp), ['countersign']);

      // `npm install` (as `npm ci`, from the lockfile and the npm cache where it can).
      run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: dir,
        timeout: INSTALL_TIMEOUT_MS,
      });
      // The bin is linked and runs straight after install, before `npm start`.
      assert.match(run('npx', ['countersign', '--help'], { cwd: dir }), /Usage: countersign/);

      // `npm start`, in the background, on a free port; the demo agent off so counts are ours.
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const env = { COUNTERSIGN_PORT: String(port), COUNTERSIGN_DEMO_AGENT: 'off' };
      const gateway = background('npm', ['start'], { cwd: dir, env });
      try {
        await waitReady(base, gateway, 5 * 60_000);
        await waitOutput(gateway, /\bcsu_[A-Za-z0-9_-]+/);
        const AGENT = tokenFor(gateway.output(), 'support-copilot', 'csa_');
        const ALICE = tokenFor(gateway.output(), 'alice', 'csu_');
        const agent = { authorization: `Bearer ${AGENT}`, 'content-type': 'application/json' };

        // 1. A routine export is allowed at once.
        const small = await fetch(`${base}/v1/actions`, {
          method: 'POST',
          headers: agent,
          body: JSON.stringify({
            action: 'db.export',
            resource: 'postgres://prod/customers',
            environment: 'production',
            params: { rows: 500 },
          }),
        });
        const one = (await small.json()) as Record<string, unknown>;
        assert.equal(one.status, 'approved', JSON.stringify(one));
        assert.equal(one.decision, 'allow');
        assert.deepEqual(one.rules, ['small-export']);
        assert.match(String(one.digest), /^sha256:/);

        // 2. A large production export needs two data owners; the same key replays.
        const bigBody = JSON.stringify({
          action: 'db.export',
          resource: 'postgres://prod/customers',
          environment: 'production',
          params: { rows: 50000 },
          justification: 'churn analysis for Q3',
          idempotency_key: 'job-1',
        });
        const big = await fetch(`${base}/v1/actions`, {
          method: 'POST',
          headers: agent,
          body: bigBody,
        });
        const two = (await big.json()) as Record<string, unknown>;
        assert.equal(two.status, 'pending', JSON.stringify(two));
        assert.equal(two.decision, 'require_approval');
        assert.match(String(two.reason), /prod-large-export \(2 of data-owners\)/);
        const again = await fetch(`${base}/v1/actions`, {
          method: 'POST',
          headers: agent,
          body: bigBody,
        });
        assert.equal(again.status, 200);
        assert.equal(again.headers.get('idempotent-replayed'), 'true');
        assert.equal(((await again.json()) as { id: string }).id, two.id);

        // 3. The agent waits (a short long-poll here): still pending.
        const wait = await fetch(`${base}/v1/actions/${String(two.id)}/wait?timeout=1`, {
          headers: agent,
        });
        assert.equal(((await wait.json()) as { status: string }).status, 'pending');

        // 4. Alice sees it in her inbox, over HTTP and with `npx countersign actions list`.
        const inbox = await fetch(`${base}/v1/actions?status=pending`, {
          headers: { authorization: `Bearer ${ALICE}` },
        });
        assert.match(await inbox.text(), new RegExp(String(two.id)));
        const listed = run(
          'npx',
          ['countersign', 'actions', 'list', '--status', 'pending', '--token', ALICE],
          { cwd: dir, env: { COUNTERSIGN_URL: base } },
        );
        assert.match(listed, /db\.export/);

        // 5. A dry run with an explanation.
        const dry = await fetch(`${base}/v1/policy/evaluate`, {
          method: 'POST',
          headers: agent,
          body: JSON.stringify({
            action: 'db.ddl.drop',
            resource: 'postgres://prod/customers',
            environment: 'production',
          }),
        });
        const five = (await dry.json()) as Record<string, unknown>;
        assert.equal(five.decision, 'deny');
        assert.deepEqual(five.rules, ['never-drop-prod']);

        // 6. Refusals are explicit.
        const typo = await fetch(`${base}/v1/actions`, {
          method: 'POST',
          headers: agent,
          body: JSON.stringify({ action: 'db.export', resource: 'x', parms: {} }),
        });
        assert.equal(typo.status, 400);
        assert.equal(((await typo.json()) as { code: string }).code, 'invalid_request');

        // The web inbox is built and served.
        assert.match(await (await fetch(`${base}/`)).text(), /<script[^>]+src="\/assets\//);
      } finally {
        await gateway.stop();
      }

      // "Running it for real", in the same directory, in the README's order.
      run('npx', ['countersign', 'init'], { cwd: dir });
      assert.ok(existsSync(join(dir, 'countersign.yaml')) && existsSync(join(dir, 'policy.yaml')));
      run('npx', ['countersign', 'policy', 'check'], { cwd: dir });
      const token = run('npx', ['countersign', 'token', 'create', '--agent', 'support-copilot'], {
        cwd: dir,
      });
      assert.match(token, /\bcsa_[A-Za-z0-9_-]+/);
      const realPort = await freePort();
      const real = background('npx', ['countersign', 'serve'], {
        cwd: dir,
        env: { COUNTERSIGN_PORT: String(realPort) },
      });
      try {
        await waitReady(`http://127.0.0.1:${realPort}`, real);
      } finally {
        await real.stop();
      }

      // The golden RFC 6962 vectors ship inside the repository.
      run('node', ['scripts/run-tests.mjs', 'merkle-vectors'], { cwd: dir });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
);
