import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hookDecision, type HookFlags } from '../src/commands/hook-claude-code.js';
import {
  MAIN,
  POLICY as HARNESS_POLICY,
  cli,
  exited,
  freePort,
  startServer,
  workspace,
} from './cli-harness.js';

/** The harness policy plus Claude Code rules: reads allowed, shell commands need a data owner. */
const POLICY = `${HARNESS_POLICY}  - id: read-files
    match: { action: claude_code.read }
    decision: allow
  - id: shell
    match: { action: claude_code.bash }
    require_approval: { from: [data-owners] }
`;

/** Runs the CLI as a child and collects its output (for commands that must run concurrently). */
function cliAsync(args: string[], env: Record<string, string>, input?: string) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input ?? '');
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (status) => resolve({ status, stdout, stderr })),
  );
}

describe('agent commands against a running gateway', () => {
  let server: ChildProcess;
  let dir: string;
  let config: string;
  let env: Record<string, string>;
  let alice: string;
  let admin: string;
  let url: string;

  /** The single pending request, once the CLI under test has submitted it. */
  async function pendingId(): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${url}/v1/actions?status=pending`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      const { items } = (await res.json()) as { items: Array<{ id: string }> };
      if (items[0]) return items[0].id;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no pending request');
  }
  async function record(id: string) {
    const res = await fetch(`${url}/v1/actions/${id}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    return (await res.json()) as {
      status: string;
      result: { detail: unknown } | null;
      context: Record<string, unknown> | null;
    };
  }

  before(async () => {
    ({ dir, config } = workspace(POLICY));
    const token = (args: string[]) =>
      cli(['token', 'create', ...args, '--config', config]).stdout.trim();
    env = { COUNTERSIGN_TOKEN: token(['--agent', 'exporter']) };
    alice = token(['--user', 'alice']);
    admin = token(['--user', 'root']);
    const port = await freePort();
    server = await startServer(config, port);
    url = `http://127.0.0.1:${port}`;
    env.COUNTERSIGN_URL = url;
  });
  after(async () => {
    server.kill('SIGKILL');
    await exited(server);
  });

  test('request: an allowed action prints the record and exits 0; a denied one exits 1', () => {
    const ok = cli(
      ['request', '--action', 'db.export', '--resource', 'pg://x', '--param', 'rows=5', '--json'],
      { env },
    );
    assert.equal(ok.status, 0, ok.stderr);
    const rec = JSON.parse(ok.stdout);
    assert.equal(rec.status, 'approved');
    assert.deepEqual(rec.params, { rows: 5 }, 'rows=5 is the number 5');
    const no = cli(['request', '--action', 'db.ddl.drop', '--resource', 'pg://x'], { env });
    assert.equal(no.status, 1);
    assert.match(no.stdout, /denied \[no-ddl\]/);
    assert.match(no.stdout, /no DDL from agents/);
  });

  test('request --wait: waits for the reviewer and exits 0 once approved', async () => {
    const running = cliAsync(
      [
        'request',
        '--action',
        'db.export',
        '--resource',
        'pg://x',
        '--params-json',
        '{"rows":50000}',
        '--wait',
      ],
      env,
    );
    const id = await pendingId();
    await fetch(`${url}/v1/actions/${id}/votes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ vote: 'approve' }),
    });
    const r = await running;
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /waiting: needs approval/);
    assert.match(r.stdout, new RegExp(`${id} approved`));
  });

  test('run: approved, the command runs and its exit code is ours and reported', async () => {
    const r = cli(
      [
        'run',
        '--action',
        'db.export',
        '--resource',
        'pg://x',
        '--param',
        'rows=5',
        '--',
        process.execPath,
        '-e',
        'console.log("grant", process.env.COUNTERSIGN_GRANT.split(".").length, process.env.COUNTERSIGN_REQUEST_ID); process.exit(3)',
      ],
      { env },
    );
    assert.equal(r.status, 3, r.stderr);
    const m = /^grant 3 (act_\w+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    const rec = await record(m[1]);
    assert.equal(rec.status, 'failed');
    assert.deepEqual(rec.result?.detail, { exit_code: 3, signal: null });
  });

  test('run: exit 0 is reported completed', async () => {
    const r = cli(
      [
        'run',
        '--action',
        'db.export',
        '--resource',
        'pg://x',
        '--param',
        'rows=1',
        '--',
        process.execPath,
        '-e',
        'console.log(process.env.COUNTERSIGN_REQUEST_ID)',
      ],
      { env },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal((await record(r.stdout.trim())).status, 'completed');
  });

  test('run: denied, the command never runs; exit 3 with the reason on stderr', () => {
    const marker = join(dir, 'ran-ddl');
    const r = cli(
      [
        'run',
        '--action',
        'db.ddl.drop',
        '--resource',
        'pg://x',
        '--',
        process.execPath,
        '-e',
        `require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`,
      ],
      { env },
    );
    assert.equal(r.status, 3);
    assert.match(r.stderr, /was denied: .*no DDL from agents/);
    assert.equal(existsSync(marker), false);
  });

  test('run: a command that cannot be started exits 127 and is reported failed', async () => {
    const r = cli(
      [
        'run',
        '--action',
        'db.export',
        '--resource',
        'pg://x',
        '--param',
        'rows=1',
        '--',
        join(dir, 'no-such-command'),
      ],
      { env },
    );
    assert.equal(r.status, 127);
    assert.match(r.stderr, /cannot run/);
    const res = await fetch(`${url}/v1/actions?status=failed`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    const { items } = (await res.json()) as { items: Array<{ result: { detail: unknown } }> };
    assert.ok(items.some((i) => /cannot run/.test(JSON.stringify(i.result.detail))));
  });

  test('run: gateway down, the command never runs; exit 4', async () => {
    const marker = join(dir, 'ran-down');
    const down = `http://127.0.0.1:${await freePort()}`;
    const r = cli(
      [
        'run',
        '--action',
        'db.export',
        '--resource',
        'pg://x',
        '--param',
        'rows=1',
        '--url',
        down,
        '--',
        process.execPath,
        '-e',
        `require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`,
      ],
      { env },
    );
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /not run \(fail closed\)/);
    assert.equal(existsSync(marker), false);
  });

  describe('hook claude-code', () => {
    const hookInput = (tool: string, input: object, extra: object = {}) =>
      JSON.stringify({
        ...extra,
        session_id: 'sess-1',
        transcript_path: '/tmp/t.jsonl',
        cwd: '/work/project',
        permission_mode: 'default',
        hook_event_name: 'PreToolUse',
        tool_name: tool,
        tool_input: input,
        tool_use_id: `toolu_${Math.random().toString(36).slice(2)}`,
      });
    /**
     * The PreToolUse decision schema: exactly hookSpecificOutput with these three fields, and
     * additionalContext only on an allow (https://code.claude.com/docs/en/hooks#pretooluse).
     */
    const check = (out: unknown) => {
      assert.deepEqual(Object.keys(out as object), ['hookSpecificOutput']);
      const d = (out as { hookSpecificOutput: Record<string, unknown> }).hookSpecificOutput;
      const keys = ['hookEventName', 'permissionDecision', 'permissionDecisionReason'];
      if (d.additionalContext !== undefined) {
        assert.equal(d.permissionDecision, 'allow');
        assert.equal(typeof d.additionalContext, 'string');
        keys.push('additionalContext');
      }
      assert.deepEqual(Object.keys(d).sort(), keys.sort());
      assert.equal(d.hookEventName, 'PreToolUse');
      assert.ok(['allow', 'deny', 'ask', 'defer'].includes(d.permissionDecision as string));
      assert.equal(typeof d.permissionDecisionReason, 'string');
      return d as {
        permissionDecision: string;
        permissionDecisionReason: string;
        additionalContext?: string;
      };
    };
    /** The hook in-process, as the command runs it, on one stdin text. */
    const hook = async (input: string, flags: HookFlags = {}) => {
      async function* stdin() {
        yield input;
      }
      return check(await hookDecision({ url, token: env.COUNTERSIGN_TOKEN, ...flags }, stdin()));
    };

    test('the command: an allowed tool prints allow as hook JSON on stdout, exit 0', () => {
      const r = cli(['hook', 'claude-code'], {
        env,
        input: hookInput('Read', { file_path: '/work/project/README.md' }),
      });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(check(JSON.parse(r.stdout)).permissionDecision, 'allow');
    });

    test('a reviewer denies: deny, with the comment for Claude', async () => {
      const running = hook(hookInput('Bash', { command: 'rm -rf build', description: 'clean' }));
      const id = await pendingId();
      await fetch(`${url}/v1/actions/${id}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ vote: 'deny', comment: 'use make clean' }),
      });
      const d = await running;
      assert.equal(d.permissionDecision, 'deny');
      assert.match(d.permissionDecisionReason, /claude_code\.bash .*denied.*use make clean/);
    });

    test('a reviewer approves while the hook waits: allow', async () => {
      const running = hook(hookInput('Bash', { command: 'make test' }));
      const id = await pendingId();
      await fetch(`${url}/v1/actions/${id}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ vote: 'approve' }),
      });
      const d = await running;
      assert.equal(d.permissionDecision, 'allow');
      assert.match(d.permissionDecisionReason, new RegExp(id));
    });

    test('nobody decides within --wait: ask (or deny), and the request is withdrawn', async () => {
      const d = await hook(hookInput('Bash', { command: 'make deploy' }), { wait: '0.5' });
      assert.equal(d.permissionDecision, 'ask');
      const id = /\((act_\w+),/.exec(d.permissionDecisionReason)?.[1];
      assert.ok(id, d.permissionDecisionReason);
      assert.equal((await record(id)).status, 'cancelled');
      const deny = await hook(hookInput('Bash', { command: 'make deploy' }), {
        wait: '0',
        onPending: 'deny',
      });
      assert.equal(deny.permissionDecision, 'deny');
    });

    test("the command: approvers' comments reach Claude as additionalContext; a subagent is named to reviewers", async () => {
      const input = hookInput(
        'Bash',
        { command: 'psql -c "select 1"' },
        { agent_id: 'agent-7f3', agent_type: 'db-explorer' },
      );
      const running = cliAsync(['hook', 'claude-code'], env, input);
      const id = await pendingId();
      const pending = await record(id);
      assert.equal(pending.context?.agent_id, 'agent-7f3');
      assert.equal(pending.context?.agent_type, 'db-explorer');
      await fetch(`${url}/v1/actions/${id}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ vote: 'approve', comment: 'read-only, against the replica' }),
      });
      const r = await running;
      assert.equal(r.status, 0, r.stderr);
      const d = check(JSON.parse(r.stdout));
      assert.equal(d.permissionDecision, 'allow');
      assert.match(d.additionalContext ?? '', /alice: read-only, against the replica/);
      // No comment, no additionalContext: the output stays the three documented fields.
      const read = cli(['hook', 'claude-code'], {
        env,
        input: hookInput('Read', { file_path: '/work/project/README.md' }),
      });
      assert.equal(check(JSON.parse(read.stdout)).additionalContext, undefined);
    });

    test('the command with --on-pending defer: defer, the request stays open, the resumed run gets the decision', async () => {
      const input = hookInput('Bash', { command: 'make release' });
      const first = cli(['hook', 'claude-code', '--wait', '0', '--on-pending', 'defer'], {
        env,
        input,
      });
      assert.equal(first.status, 0, first.stderr);
      const d = check(JSON.parse(first.stdout));
      assert.equal(d.permissionDecision, 'defer');
      const id = /\((act_\w+)\)/.exec(d.permissionDecisionReason)?.[1];
      assert.ok(id, d.permissionDecisionReason);
      assert.equal((await record(id)).status, 'pending');
      await fetch(`${url}/v1/actions/${id}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ vote: 'approve' }),
      });
      // `claude -p --resume` runs the hook again for the same tool call.
      const resumed = cli(['hook', 'claude-code', '--on-pending', 'defer'], { env, input });
      const again = check(JSON.parse(resumed.stdout));
      assert.equal(again.permissionDecision, 'allow');
      assert.match(again.permissionDecisionReason, new RegExp(id));
    });

    test('fail closed: gateway down, bad input, another event, no token all deny', async () => {
      const down = `http://127.0.0.1:${await freePort()}`;
      const cases: Array<[string, HookFlags]> = [
        [hookInput('Bash', { command: 'ls' }), { url: down }],
        ['not json', {}],
        [JSON.stringify({ hook_event_name: 'PreToolUse' }), {}],
        [JSON.stringify({ hook_event_name: 'PostToolUse', tool_name: 'Bash' }), {}],
        [hookInput('Bash', {}), { wait: 'soon' }],
      ];
      for (const [input, flags] of cases) {
        const d = await hook(input, flags);
        assert.equal(d.permissionDecision, 'deny', input);
        assert.match(d.permissionDecisionReason, /fail closed/);
      }
      const noToken = cli(['hook', 'claude-code'], {
        env: { COUNTERSIGN_URL: url, COUNTERSIGN_TOKEN: '' },
        input: hookInput('Bash', {}),
      });
      assert.equal(noToken.status, 0);
      assert.match(check(JSON.parse(noToken.stdout)).permissionDecisionReason, /no token/);
    });
  });
});
