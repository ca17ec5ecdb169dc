import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POLICY, DIRECTORY, startGateway, type TestGateway } from './harness.js';
import { createGateway, resolveConfig } from '../src/index.js';

describe('gateway operations', () => {
  let gw: TestGateway;
  let agent: string;
  let admin: string;
  before(async () => {
    gw = await startGateway();
    agent = await gw.token('agent', 'exporter');
    admin = await gw.token('user', 'root');
  });
  after(() => gw.close());

  test('health, readiness and the OpenAPI 3.1 document', async () => {
    assert.equal((await gw.call('GET', '/healthz')).status, 200);
    const ready = await gw.call('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.match(ready.body.policy_version, /^sha256:/);
    const doc = await gw.call('GET', '/openapi.json');
    assert.equal(doc.body.openapi, '3.1.0');
    for (const path of [
      '/v1/actions',
      '/v1/actions/{id}',
      '/v1/actions/{id}/wait',
      '/v1/policy/evaluate',
    ]) {
      assert.ok(doc.body.paths[path], `${path} documented`);
    }
    assert.deepEqual(
      doc.body.paths['/v1/actions'].post.requestBody.content['application/json'].schema.required,
      ['action', 'resource'],
    );
  });

  test('metrics count decisions by outcome and expose latency and pending gauges', async () => {
    await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'x', params: { rows: 1 } },
    });
    await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'nothing', resource: 'x' },
    });
    const res = await fetch(`${gw.url}/metrics`);
    const text = await res.text();
    assert.match(text, /countersign_decisions_total\{decision="allow"\} [1-9]/);
    assert.match(text, /countersign_decisions_total\{decision="deny"\} [1-9]/);
    assert.match(text, /countersign_http_request_duration_seconds_bucket\{/);
    assert.match(text, /countersign_pending_requests \d+/);
  });

  test('policy dry run explains and records nothing', async () => {
    const before = await gw.count('actions');
    const res = await gw.call('POST', '/v1/policy/evaluate', {
      token: admin,
      body: {
        action: 'db.ddl.drop',
        resource: 'pg://prod',
        environment: 'production',
        agent: 'exporter',
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.decision, 'deny');
    assert.deepEqual(res.body.rules, ['never-drop-prod']);
    assert.match(res.body.reason, /never run DDL/);
    assert.match(res.body.explanation_text, /never-drop-prod/);
    const asAgent = await gw.call('POST', '/v1/policy/evaluate', {
      token: agent,
      body: { action: 'db.export', resource: 'x', params: { rows: 3 } },
    });
    assert.equal(asAgent.body.decision, 'allow');
    assert.equal(await gw.count('actions'), before);
  });

  test('a hot reload with a broken policy keeps the last good one; a good one applies', async () => {
    const version = gw.gateway.policy.current.version;
    writeFileSync(gw.policyFile, POLICY.replace('quorum: 2', 'quorum: two'));
    const bad = gw.gateway.policy.reload();
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? '', /policy\.yaml:\d+/);
    assert.equal(gw.gateway.policy.current.version, version);
    const still = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'x', params: { rows: 1 } },
    });
    assert.equal(still.body.status, 'approved');

    writeFileSync(
      gw.policyFile,
      POLICY.replace(
        'when: params.rows <= 10000\n    decision: allow',
        'when: params.rows <= 10000\n    decision: deny',
      ),
    );
    const good = gw.gateway.policy.reload();
    assert.equal(good.ok, true);
    assert.notEqual(gw.gateway.policy.current.version, version);
    const now = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'x', params: { rows: 1 } },
    });
    assert.equal(now.body.status, 'denied');
    assert.equal(now.body.policy_version, gw.gateway.policy.current.version);
    writeFileSync(gw.policyFile, POLICY);
    gw.gateway.policy.reload();
  });

  test('the file watcher picks up a policy change', async () => {
    gw.gateway.policy.watch();
    const version = gw.gateway.policy.current.version;
    writeFileSync(
      gw.policyFile,
      `${POLICY}\n  - id: extra\n    match: { action: extra.thing }\n    decision: allow\n`,
    );
    const deadline = Date.now() + 5000;
    while (gw.gateway.policy.current.version === version && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.notEqual(gw.gateway.policy.current.version, version);
    writeFileSync(gw.policyFile, POLICY);
  });
});

describe('start-up', () => {
  test('a gateway with an invalid policy does not start, and says where', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-bad-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, POLICY.replace('from: [data-owners]', 'from: [data-ownerz]'));
    const config = resolveConfig(
      {
        directory: DIRECTORY,
        policy,
        data_dir: join(dir, 'data'),
        server: { log_level: 'silent' },
      },
      dir,
      {},
    );
    await assert.rejects(createGateway(config), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'policy_invalid');
      assert.match(e.message, /policy\.yaml:\d+:\d+/);
      assert.match(e.message, /data-ownerz/);
      return true;
    });
  });

  test('expiry fires after a restart for requests that came due while the gateway was down', async () => {
    let gw = await startGateway();
    const deployer = await gw.token('agent', 'deployer');
    const res = await gw.call('POST', '/v1/actions', {
      token: deployer,
      body: { action: 'k8s.rollout.restart', resource: 'k8s://prod/api' },
    });
    assert.equal(res.body.status, 'pending');
    await gw.close({ keep: true });
    await new Promise((r) => setTimeout(r, 2200)); // the rule's timeout is 2s
    gw = await gw.restart();
    try {
      const waited = await gw.call('GET', `/v1/actions/${res.body.id}/wait?timeout=5`, {
        token: deployer,
      });
      assert.equal(waited.body.status, 'expired');
    } finally {
      await gw.close();
    }
  });
});

describe('restart with work in flight', () => {
  test('votes survive a restart; an escalation that came due while down fires on the first tick', async () => {
    let gw = await startGateway();
    const exporter = await gw.token('agent', 'exporter');
    const alice = await gw.token('user', 'alice');
    const frank = await gw.token('user', 'frank');
    const carol = await gw.token('user', 'carol');
    const big = await gw.call('POST', '/v1/actions', {
      token: exporter,
      body: {
        action: 'db.export',
        resource: 'pg://prod',
        environment: 'production',
        params: { rows: 50000 },
      },
    });
    const restore = await gw.call('POST', '/v1/actions', {
      token: exporter,
      body: { action: 'db.restore', resource: 'pg://prod', params: {} },
    });
    const first = await gw.call('POST', `/v1/actions/${big.body.id}/votes`, {
      token: alice,
      body: { vote: 'approve', comment: 'ok' },
    });
    assert.equal(first.body.status, 'pending');
    await gw.close({ keep: true });
    await new Promise((r) => setTimeout(r, 1200)); // db.restore escalates after 1s
    gw = await gw.restart();
    try {
      const read = await gw.call('GET', `/v1/actions/${big.body.id}`, { token: exporter });
      assert.deepEqual(
        read.body.votes.map((v: { user: string; comment: string }) => [v.user, v.comment]),
        [['alice', 'ok']],
      );
      const second = await gw.call('POST', `/v1/actions/${big.body.id}/votes`, {
        token: frank,
        body: { vote: 'approve' },
      });
      assert.equal(second.body.status, 'approved');
      // one tick is 50 ms in these tests
      let escalated: string[] = [];
      for (let i = 0; i < 40 && escalated.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        escalated = (await gw.call('GET', `/v1/actions/${restore.body.id}`, { token: exporter }))
          .body.escalated_rules;
      }
      assert.deepEqual(escalated, ['restore']);
      const late = await gw.call('POST', `/v1/actions/${restore.body.id}/votes`, {
        token: carol,
        body: { vote: 'approve' },
      });
      assert.equal(late.body.status, 'approved');
    } finally {
      await gw.close();
    }
  });
});
