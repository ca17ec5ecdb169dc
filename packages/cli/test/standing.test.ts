import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, exited, freePort, startServer, workspace } from './cli-harness.js';

/** `actions approve --standing-*` and `standing list|show|endorse|revoke` (docs/cli.md). */
test('countersign standing: approve with --standing-uses, list, show, revoke', async () => {
  const { config } = workspace();
  const alice = cli(['token', 'create', '--user', 'alice', '--config', config]).stdout.trim();
  const agent = cli(['token', 'create', '--agent', 'exporter', '--config', config]).stdout.trim();
  const port = await freePort();
  const server = await startServer(config, port);
  try {
    const url = `http://127.0.0.1:${port}`;
    const submit = async () => {
      const res = await fetch(`${url}/v1/actions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'db.export', resource: 'pg://x', params: { rows: 20000 } }),
      });
      assert.equal(res.status, 201);
      return (await res.json()) as { id: string; status: string; standing_approval_id: string };
    };
    const as = (token: string) => ['--url', url, '--token', token];

    const half = cli(['actions', 'approve', 'act_x', '--standing-when', 'true', ...as(alice)]);
    assert.equal(half.status, 1);
    assert.match(half.stderr, /--standing-when and --standing-for go together/);

    const first = await submit();
    const approved = cli(['actions', 'approve', first.id, '--standing-uses', '2', ...as(alice)]);
    assert.equal(approved.status, 0, approved.stderr);
    const id = /standing approval (sa_[0-9a-z]+) active: 2 uses/.exec(approved.stdout)?.[1];
    assert.ok(id, approved.stdout);

    const used = await submit();
    assert.equal(used.status, 'approved');
    assert.equal(used.standing_approval_id, id);

    const list = cli(['standing', 'list', ...as(alice)]);
    assert.equal(list.status, 0, list.stderr);
    assert.match(
      list.stdout,
      new RegExp(`${id}\\s+active\\s+exporter\\s+db\\.export\\s+default\\s+1/2`),
    );
    const show = cli(['standing', 'show', id, ...as(alice)]);
    assert.match(show.stdout, /uses: +1 of 2/);
    assert.match(show.stdout, new RegExp(`approved: +${used.id}`));

    const byAgent = cli(['standing', 'list', ...as(agent)]);
    assert.equal(byAgent.status, 1);
    assert.match(byAgent.stderr, /forbidden/);

    const revoked = cli(['standing', 'revoke', id, '--reason', 'done', ...as(alice)]);
    assert.equal(revoked.status, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`${id}: revoked by alice`));
    assert.equal((await submit()).status, 'pending');
    const all = cli(['standing', 'list', '--all', '--json', ...as(alice)]);
    const items = JSON.parse(all.stdout) as Array<{ id: string; status: string }>;
    assert.equal(items.find((i) => i.id === id)?.status, 'revoked');
  } finally {
    server.kill('SIGTERM');
    await exited(server);
  }
});
