import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOSTILE_STRINGS } from '@countersign/core';
import { MAIN, cli, exited, freePort, startServer, workspace } from './cli-harness.js';
import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A reviewer's comment (and through the record's `message`, the agent's action and resource)
 * reaches the terminal of whoever runs `countersign`. Fed terminal escapes, OSC 8 links, bidi
 * overrides and line breaks, the CLI must print them as visible text on their own line.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const OBEYED = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

const COMMENT = [
  ...Object.entries(HOSTILE_STRINGS)
    // Comments are at most 4,000 characters, and the API refuses lone surrogates.
    .filter(([name]) => name !== 'ampersands' && name !== 'surrogates')
    .map(([, s]) => s),
  '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007',
  '\u001b]0;pwned\u0007\u001b[2J\u009b31m',
].join(' | ');

describe('CLI output of agent and reviewer text', () => {
  let server: ChildProcess;
  let env: Record<string, string>;
  let admin: string;
  let url: string;

  before(async () => {
    const { config } = workspace();
    const token = (args: string[]) =>
      cli(['token', 'create', ...args, '--config', config]).stdout.trim();
    const agent = token(['--agent', 'exporter']);
    admin = token(['--user', 'alice']);
    const port = await freePort();
    server = await startServer(config, port);
    url = `http://127.0.0.1:${port}`;
    env = { COUNTERSIGN_TOKEN: agent, COUNTERSIGN_URL: url };
  });
  after(async () => {
    server.kill('SIGKILL');
    await exited(server);
  });

  /** A deny through the API: argv cannot carry NUL, the API can. */
  async function deny(id: string): Promise<void> {
    const res = await fetch(`${url}/v1/actions/${id}/votes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ vote: 'deny', comment: COMMENT }),
    });
    assert.equal(res.status, 200, await res.text());
  }

  async function pending(): Promise<string> {
    const res = await fetch(`${url}/v1/actions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.COUNTERSIGN_TOKEN}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        action: 'db.export',
        resource: 'pg://x',
        params: { rows: 50000 },
        justification: HOSTILE_STRINGS.newlines,
      }),
    });
    assert.equal(res.status, 201);
    return ((await res.json()) as { id: string }).id;
  }

  test('actions deny --comment: the answer prints the comment inert, on one line', async () => {
    const id = await pending();
    const comment = COMMENT.replace(/\0/g, ''); // argv cannot carry NUL
    const r = cli(['actions', 'deny', id, '--comment', comment, '--token', admin, '--url', url]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, OBEYED);
    assert.equal(r.stdout.split('\n').length, 3, 'two lines and the final newline');
    assert.match(r.stdout, /␛\]8;;https:\/\/evil\.example␇click/);
    assert.match(r.stdout, /invoice⟨RLO⟩gpj\.exe/);
  });

  test('actions show: every field on its line, nothing obeyed', async () => {
    const id = await pending();
    await deny(id);
    const r = cli(['actions', 'show', id, '--token', admin, '--url', url]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, OBEYED);
    // The agent's multi-line justification and the reviewer's comment stay on one line each.
    assert.match(r.stdout, /^ {2}why +.*↵/m);
    assert.match(r.stdout, /^ {2}alice {2}deny {2}via api .*␛\]8;;https:\/\/evil\.example␇click/m);
    assert.match(r.stdout, /invoice⟨RLO⟩gpj\.exe/);
  });

  test('actions show --json: JSON whose controls are escapes, the same value', async () => {
    const id = await pending();
    await deny(id);
    const r = cli(['actions', 'show', id, '--json', '--token', admin, '--url', url]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout.replace(/\n/g, ''), OBEYED);
    const record = JSON.parse(r.stdout) as { votes: Array<{ comment: string }> };
    assert.equal(record.votes[0]?.comment, COMMENT);
  });

  test('run, denied while waiting: the reason on stderr is inert, on one line', async () => {
    const child = spawn(
      process.execPath,
      [
        MAIN,
        'run',
        '--action',
        'db.export',
        '--resource',
        'pg://y',
        '--param',
        'rows=50000',
        '--',
        'true',
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number | null>((resolve) => child.once('close', resolve));
    let id: string | undefined;
    for (let i = 0; i < 200 && id === undefined; i++) {
      const res = await fetch(`${url}/v1/actions?status=pending&limit=100`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      const { items } = (await res.json()) as { items: Array<{ id: string; resource: string }> };
      id = items.find((a) => a.resource === 'pg://y')?.id;
      if (id === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    try {
      assert.ok(id, 'run submitted its request');
      await deny(id);
      assert.equal(await done, 3, stderr);
    } finally {
      child.kill('SIGKILL');
    }
    assert.doesNotMatch(stderr, OBEYED);
    const lines = stderr.trimEnd().split('\n');
    assert.match(lines.at(-1) ?? '', /^countersign: .*was denied.*⟨RLO⟩/);
  });

  test('actions list: every row one line, nothing obeyed', async () => {
    await pending();
    const r = cli(['actions', 'list', '--token', admin, '--url', url]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout, OBEYED);
    // The multi-line justification is one indented line under its row.
    const whys = r.stdout.split('\n').filter((l) => l.startsWith('    “'));
    assert.ok(whys.length > 0);
    for (const why of whys) assert.match(why, /↵.*rows=50000$/);
  });
});
