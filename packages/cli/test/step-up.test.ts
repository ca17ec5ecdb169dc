import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POLICY, cli, exited, freePort, startServer, workspace } from './cli-harness.js';

const STEP_UP_POLICY = `${POLICY}  - id: secrets
    match: { action: secrets.read }
    require_approval: { from: [data-owners], quorum: 1 }
    step_up: web
`;

/**
 * Issue 12, defect 2 from the CLI: `countersign actions approve` is an API call with a user
 * token, so on a `step_up: web` rule it is refused like any API vote, and the request stays
 * pending with no grant.
 */
test('countersign actions approve on a step_up: web rule is refused with step_up_required', async () => {
  const { config } = workspace(STEP_UP_POLICY);
  const token = cli(['token', 'create', '--user', 'alice', '--config', config]).stdout.trim();
  const agent = cli(['token', 'create', '--agent', 'exporter', '--config', config]).stdout.trim();
  const port = await freePort();
  const server = await startServer(config, port);
  try {
    const url = `http://127.0.0.1:${port}`;
    const sub = await fetch(`${url}/v1/actions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'secrets.read', resource: 'vault://prod/db' }),
    });
    assert.equal(sub.status, 201);
    const { id } = (await sub.json()) as { id: string };

    const approved = cli(['actions', 'approve', id, '--url', url, '--token', token]);
    assert.equal(approved.status, 1, approved.stdout);
    assert.match(approved.stderr, /step_up_required/);

    const read = await fetch(`${url}/v1/actions/${id}`, {
      headers: { authorization: `Bearer ${agent}` },
    });
    const record = (await read.json()) as { status: string; grant: unknown; votes: unknown[] };
    assert.equal(record.status, 'pending');
    assert.equal(record.grant, null);
    assert.deepEqual(record.votes, []);

    // On the audit record as a refused vote, through channel api (root is an admin).
    const rootToken = cli(['token', 'create', '--user', 'root', '--config', config]).stdout.trim();
    const audit = await fetch(`${url}/v1/audit/entries?from=0`, {
      headers: { authorization: `Bearer ${rootToken}` },
    });
    const entries = ((await audit.json()) as { entries: string[] }).entries.map(
      (e) => JSON.parse(e) as { type: string; request_id?: string; data: Record<string, unknown> },
    );
    const refused = entries.filter((e) => e.type === 'action.vote_refused' && e.request_id === id);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.data.code, 'step_up_required');
    assert.equal(refused[0]?.data.channel, 'api');
  } finally {
    server.kill('SIGTERM');
    await exited(server);
  }
});
