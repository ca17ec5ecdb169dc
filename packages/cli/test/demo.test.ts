import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { MAIN, cli, exited, freePort } from './cli-harness.js';

interface RunningDemo {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  agentToken: string;
  agentPid: number;
}

/** `serve --demo` in `dir`, as `npm start` runs it, until the demo agent is up. */
async function startDemo(dir: string, port: number, args: string[] = []): Promise<RunningDemo> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--demo', ...args], {
    cwd: dir,
    env: { ...process.env, COUNTERSIGN_PORT: String(port), COUNTERSIGN_DEMO_AGENT_INTERVAL: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not start: ${out}${err}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Demo agent \(pid \d+\)/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`demo exited ${code}: ${err}`)));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    agentToken: /export AGENT=(csa_\S+)/.exec(out)![1],
    agentPid: Number(/Demo agent \(pid (\d+)\)/.exec(out)![1]),
  };
}

async function stop(demo: RunningDemo) {
  demo.child.kill('SIGTERM');
  await Promise.race([exited(demo.child), new Promise((r) => setTimeout(r, 15_000))]);
  if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function evaluateAs(port: number, token: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/policy/evaluate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'db.export', resource: 'postgres://x', params: { rows: 1 } }),
  });
  return res.status;
}

// Issue 14: the demo wrote no config (store commands had nothing to open), only the demo could
// mint sign-in links, every start revoked the tokens already handed out, JSON log lines were
// mixed into the walkthrough, and the demo agent outlived the gateway.
test('serve --demo: a real config the CLI finds, login-link, tokens kept across restarts, human terminal, the agent stops with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-demo-'));
  const port = await freePort();
  let demo = await startDemo(dir, port);
  try {
    // Human lines only, on both streams; the demo agent's lines arrive on stdout too.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const line of `${demo.stdout()}\n${demo.stderr()}`.split('\n')) {
      assert.ok(!line.trimStart().startsWith('{'), `a JSON line in the demo terminal: ${line}`);
    }
    assert.match(demo.stderr(), /^\d\d:\d\d:\d\d info {2}Server listening at/m);
    assert.match(demo.stdout(), /config: \.countersign\/countersign\.yaml/);
    assert.match(demo.stdout(), /\[demo-agent\] asks: /);

    // The store commands find the demo's config without --config, as the README shows.
    const created = cli(['token', 'create', '--agent', 'support-copilot', '--label', 'mine'], {
      cwd: dir,
    });
    assert.equal(created.status, 0, created.stderr);
    const mine = created.stdout.trim();
    assert.equal(await evaluateAs(port, mine), 200);
    const today = new Date().toISOString().slice(0, 10);
    const report = cli(
      ['report', 'soc2', '--from', today, '--to', today, '--json', '--accept-gateway-key'],
      { cwd: dir },
    );
    assert.equal(report.status, 0, report.stderr);
    // …and with the path the docs give.
    const listed = cli(['token', 'list', '--config', '.countersign/countersign.yaml'], {
      cwd: dir,
    });
    assert.match(listed.stdout, /support-copilot +active .* mine/);

    // login-link: one link on stdout, usable once, audited as who minted it for whom.
    const minted = cli(['login-link', '--user', 'alice'], { cwd: dir });
    assert.equal(minted.status, 0, minted.stderr);
    const token = /\/login\/one-time\?token=(csl_\S+)$/.exec(minted.stdout.trim())![1];
    const redeem = () =>
      fetch(`http://127.0.0.1:${port}/auth/one-time`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
    assert.equal((await redeem()).status, 200);
    assert.equal((await redeem()).status, 401);
    const unknown = cli(['login-link', '--user', 'mallory'], { cwd: dir });
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /no user "mallory"/);

    const admin = /user {2}admin +(csu_\S+)/.exec(demo.stdout())![1];
    const out = join(dir, 'export');
    const exported = cli(
      ['audit', 'export', '--out', out, '--url', `http://127.0.0.1:${port}`, '--token', admin],
      { cwd: dir },
    );
    assert.equal(exported.status, 0, exported.stderr);
    const entriesFile = readdirSync(out).find((f) => f.endsWith('.jsonl'))!;
    const entries = readFileSync(join(out, entriesFile), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; actor: { id: string }; data: unknown });
    const cliLink = entries.filter(
      (e) =>
        e.type === 'token.created' &&
        e.actor.id === `operator:${userInfo().username}` &&
        JSON.stringify(e.data).includes('"label":"one-time login link"'),
    );
    assert.equal(cliLink.length, 1, 'the CLI link is audited with its minter');
    assert.deepEqual((cliLink[0].data as { principal: unknown }).principal, {
      kind: 'user',
      id: 'alice',
    });

    // Stopping the gateway stops the demo agent.
    const firstAgentToken = demo.agentToken;
    await stop(demo);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(alive(demo.agentPid), false, 'the demo agent is gone');

    // A restart keeps the tokens already handed out…
    demo = await startDemo(dir, port);
    assert.equal(await evaluateAs(port, firstAgentToken), 200);
    assert.notEqual(demo.agentToken, firstAgentToken);
    await stop(demo);
    // …and --reset revokes the demo's, not the one made with `token create`.
    demo = await startDemo(dir, port, ['--reset']);
    assert.match(demo.stdout(), /--reset revoked 16/);
    assert.equal(await evaluateAs(port, firstAgentToken), 401);
    assert.equal(await evaluateAs(port, mine), 200);
    assert.equal(await evaluateAs(port, demo.agentToken), 200);
  } finally {
    await stop(demo);
  }
});
