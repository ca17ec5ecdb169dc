import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { HOSTILE_STRINGS } from '@countersign/core';
import { cli, exited, freePort, startServer, workspace } from './cli-harness.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const OBEYED = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

/**
 * `countersign batches` (issue 16): lists alike requests with what tells each apart, printed
 * inert, and decides exactly the items named, with the digests it read, or none.
 */
describe('countersign batches', () => {
  let server: ChildProcess;
  let url: string;
  let agent: string;
  let alice: string;

  before(async () => {
    const { config } = workspace();
    const token = (args: string[]) =>
      cli(['token', 'create', ...args, '--config', config]).stdout.trim();
    agent = token(['--agent', 'exporter']);
    alice = token(['--user', 'alice']);
    const port = await freePort();
    server = await startServer(config, port);
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    server.kill('SIGKILL');
    await exited(server);
  });

  async function submit(params: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${url}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        action: 'db.export',
        resource: 'pg://warehouse',
        params: { rows: 50000, ...params },
        justification: HOSTILE_STRINGS.newlines,
      }),
    });
    assert.equal(res.status, 201);
    return ((await res.json()) as { id: string }).id;
  }
  const status = async (id: string) =>
    (
      (await (
        await fetch(`${url}/v1/actions/${id}`, { headers: { authorization: `Bearer ${alice}` } })
      ).json()) as { status: string }
    ).status;

  test('lists every item with its distinguishing params, inert; approves exactly the named items', async () => {
    const hostile =
      '\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007 invoice\u202egpj.exe';
    const a = await submit({ table: 'orders', note: hostile });
    const b = await submit({ table: 'users', [`k\u001b[31m`]: 1 });
    const c = await submit({ table: 'payments' });

    const list = cli(['batches', '--url', url, '--token', alice]);
    assert.equal(list.status, 0, list.stderr);
    assert.doesNotMatch(list.stdout, OBEYED);
    assert.match(list.stdout, /^3 × db\.export by exporter in default \(rules: big-export\)$/m);
    assert.match(list.stdout, /same for all: .*resource="pg:\/\/warehouse"/);
    // A line break in a value is its JSON escape: no fake line.
    assert.match(list.stdout, /same for all: .*justification="line one\\n\\n\*Votes\*/);
    // Every item on its own line, with each differing path; one an item lacks says "absent".
    const line = (id: string) => list.stdout.split('\n').find((l) => l.includes(id)) ?? '';
    assert.match(line(a), /params\.table="orders"/);
    assert.match(
      line(a),
      /params\.note="\\u001b\]8;;https:\/\/evil\.example\\u0007click.*invoice\\u202egpj\.exe"/,
    );
    // A key that is not a plain name is a JSON string: its escape is written \u001b.
    assert.match(line(b), /params\["k\\u001b\[31m"\]=1/);
    assert.match(line(c), /params\.note absent/);

    const json = cli(['batches', '--json', '--url', url, '--token', alice]);
    assert.equal(json.status, 0, json.stderr);
    assert.doesNotMatch(json.stdout.replace(/\n/g, ''), OBEYED);
    assert.equal(
      (JSON.parse(json.stdout) as { items: Array<{ items: unknown[] }> }).items[0]?.items.length,
      3,
    );

    const approve = cli([
      'batches',
      'approve',
      '--items',
      `${a},${c}`,
      '--comment',
      'exports for the audit',
      '--url',
      url,
      '--token',
      alice,
    ]);
    assert.equal(approve.status, 0, approve.stderr);
    assert.doesNotMatch(approve.stdout, OBEYED);
    // It shows what it decides, then each item's new status.
    assert.match(approve.stdout, /^approve 2 × db\.export/m);
    assert.doesNotMatch(approve.stdout, new RegExp(b));
    assert.match(approve.stdout, new RegExp(`^${a}: approved$`, 'm'));
    assert.match(approve.stdout, new RegExp(`^${c}: approved$`, 'm'));
    assert.deepEqual(
      [await status(a), await status(b), await status(c)],
      ['approved', 'pending', 'approved'],
    );
  });

  test('a value never reads as another value or another path: values are printed as JSON', async () => {
    // The string "1" and the number 1 are different actions (different digests); a value with
    // spaces must not read as a further `path=value` pair, nor as "absent".
    const a = await submit({ table: 'same', amount: '1', to: 'x@example.com  params.cc absent' });
    const b = await submit({ table: 'same', amount: 1, to: 'y@example.com', cc: 'z@example.com' });
    const list = cli(['batches', '--url', url, '--token', alice]);
    assert.equal(list.status, 0, list.stderr);
    const line = (id: string) => list.stdout.split('\n').find((l) => l.includes(id)) ?? '';
    assert.match(line(a), /params\.amount="1"(\s|$)/);
    assert.match(line(b), /params\.amount=1(\s|$)/);
    assert.match(line(a), /params\.to="x@example\.com {2}params\.cc absent"/);
    assert.match(line(a), /params\.cc absent$/);
    assert.match(line(b), /params\.cc="z@example\.com"/);
  });

  test('items that are not one listed batch: refused before anything is sent', async () => {
    const a = await submit({ table: 'x' });
    const decided = await submit({ table: 'y' });
    const deny = cli(['actions', 'deny', decided, '--url', url, '--token', alice]);
    assert.equal(deny.status, 0, deny.stderr);
    const r = cli([
      'batches',
      'deny',
      '--items',
      `${a},${decided}`,
      '--url',
      url,
      '--token',
      alice,
    ]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not one batch you may vote on/);
    assert.equal(await status(a), 'pending');
    const dup = cli(['batches', 'deny', '--items', `${a},${a}`, '--url', url, '--token', alice]);
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /twice/);
  });
});
