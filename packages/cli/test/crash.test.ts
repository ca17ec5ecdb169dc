import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, exited, freePort, startServer, workspace } from './cli-harness.js';

test('kill -9 right after a 201: after restart the request is there, unchanged', async () => {
  const { config } = workspace();
  const token = cli(['token', 'create', '--agent', 'exporter', '--config', config]).stdout.trim();
  assert.match(token, /^csa_/);
  const port = await freePort();
  let server = await startServer(config, port);
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const submitted: Array<{ id: string; status: string }> = [];
  try {
    for (const rows of [20000, 5]) {
      const res = await fetch(`${base}/v1/actions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          action: 'db.export',
          resource: 'pg://prod/customers',
          params: { rows },
          idempotency_key: `k-${rows}`,
        }),
      });
      assert.equal(res.status, 201);
      submitted.push((await res.json()) as { id: string; status: string });
    }
    server.kill('SIGKILL'); // no chance to flush or close anything
    await exited(server);
    server = await startServer(config, port);
    for (const before of submitted) {
      const res = await fetch(`${base}/v1/actions/${before.id}`, { headers });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), before);
    }
    assert.deepEqual(
      submitted.map((s) => s.status),
      ['pending', 'approved'],
    );
    // the idempotency record survived too: a retry returns the same request
    const retry = await fetch(`${base}/v1/actions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        action: 'db.export',
        resource: 'pg://prod/customers',
        params: { rows: 20000 },
        idempotency_key: 'k-20000',
      }),
    });
    assert.equal(retry.status, 200);
    assert.equal(((await retry.json()) as { id: string }).id, submitted[0]?.id);
  } finally {
    server.kill('SIGKILL');
    await exited(server);
  }
});
