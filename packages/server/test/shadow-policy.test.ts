import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import { POLICY, dialects, indexedStore, startGateway, type TestGateway } from './harness.js';

/**
 * Beside the harness's live POLICY: reviews the small exports live allows (stricter), lets
 * restarts through that live sends to SRE (looser), and agrees on read-only SQL.
 */
const SHADOW = `version: 1
defaults:
  decision: deny
  approval: { timeout: 30m, on_timeout: deny }
rules:
  - id: small-export-reviewed
    match: { action: db.export }
    when: params.rows <= 10000
    require_approval: { from: [data-owners], quorum: 1 }
  - id: restarts-free
    match: { action: k8s.rollout.restart }
    decision: allow
  - id: read-only-sql
    match: { action: db.query }
    decision: allow
`;

/** A second candidate (the reload test): denies exports outright. */
const SHADOW_2 = `version: 1
defaults:
  decision: deny
rules:
  - id: no-exports
    match: { action: db.export }
    decision: deny
`;

interface Disagreement {
  actor: { kind: string; id: string };
  request_id: string;
  data: {
    kind: string;
    live: { decision: string; rules: string[]; policy_version: string };
    shadow: { decision: string; rules: string[]; policy_version: string };
  };
}

async function disagreements(gw: TestGateway, requestId: string): Promise<Disagreement[]> {
  const rows = await (
    await indexedStore(gw)
  )
    .selectFrom('audit_entries')
    .select('entry')
    .where('type', '=', 'policy.shadow_disagreed')
    .where('request_id', '=', requestId)
    .execute();
  return rows.map((r) => JSON.parse(r.entry) as Disagreement);
}

function metric(text: string, kind: string): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`countersign_policy_shadow_disagreements_total{kind="${kind}"}`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

for (const dialect of await dialects()) {
  describe(`shadow policies (${dialect})`, () => {
    let gw: TestGateway;
    let agent: string;
    let deployer: string;
    let root: string;
    const submit = (token: string, body: unknown) =>
      gw.call('POST', '/v1/actions', { token, body });

    before(async () => {
      gw = await startGateway({ dialect, shadowPolicy: SHADOW });
      agent = await gw.token('agent', 'exporter');
      deployer = await gw.token('agent', 'deployer');
      root = await gw.token('user', 'root');
    });
    after(() => gw.close());

    test('a stricter shadow is recorded as needs-approval-that-was-allowed; the live allow stands', async () => {
      const res = await submit(agent, { action: 'db.export', resource: 'x', params: { rows: 5 } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      // Enforcement follows the live policy only: allowed and granted, no review.
      assert.equal(res.body.status, 'approved');
      assert.equal(res.body.decision, 'allow');
      const [entry, ...more] = await disagreements(gw, res.body.id);
      assert.equal(more.length, 0);
      assert.equal(entry.data.kind, 'needs-approval-that-was-allowed');
      assert.deepEqual(entry.actor, { kind: 'system', id: 'shadow-policy' });
      assert.equal(entry.data.live.decision, 'allow');
      assert.deepEqual(entry.data.live.rules, ['small-export']);
      assert.equal(entry.data.live.policy_version, gw.gateway.policy.current.version);
      assert.equal(entry.data.shadow.decision, 'require_approval');
      assert.deepEqual(entry.data.shadow.rules, ['small-export-reviewed']);
      assert.equal(entry.data.shadow.policy_version, gw.gateway.policy.shadow?.current?.version);
    });

    test('a looser shadow is recorded as allowed-that-needed-approval; the request still waits for humans', async () => {
      const res = await submit(deployer, {
        action: 'k8s.rollout.restart',
        resource: 'deploy/api',
        params: {},
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.status, 'pending', 'the shadow allow is not enforced');
      assert.equal(res.body.grant ?? null, null, 'no grant on the shadow’s say-so');
      const [entry] = await disagreements(gw, res.body.id);
      assert.equal(entry.data.kind, 'allowed-that-needed-approval');
      assert.equal(entry.data.shadow.decision, 'allow');
    });

    test('agreement records nothing', async () => {
      const res = await submit(agent, {
        action: 'db.query',
        resource: 'x',
        params: { sql: 'select 1' },
      });
      assert.equal(res.body.status, 'approved');
      assert.deepEqual(await disagreements(gw, res.body.id), []);
    });

    test('the metric and GET /v1/policy/shadow count the disagreements by kind', async () => {
      const metrics = await fetch(`${gw.url}/metrics`).then((r) => r.text());
      assert.equal(metric(metrics, 'needs-approval-that-was-allowed'), 1);
      assert.equal(metric(metrics, 'allowed-that-needed-approval'), 1);
      const res = await gw.call('GET', '/v1/policy/shadow', { token: root });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.configured, true);
      assert.equal(res.body.file, 'shadow.yaml');
      assert.equal(res.body.version, gw.gateway.policy.shadow?.current?.version);
      assert.equal(res.body.live_version, gw.gateway.policy.current.version);
      assert.equal(res.body.counts['needs-approval-that-was-allowed'], 1);
      assert.equal(res.body.counts['allowed-that-needed-approval'], 1);
      assert.equal(res.body.counts['rules-changed'], 0);
      assert.deepEqual(
        res.body.examples.map((e: { kind: string; action: string }) => [e.kind, e.action]),
        [
          ['allowed-that-needed-approval', 'k8s.rollout.restart'],
          ['needs-approval-that-was-allowed', 'db.export'],
        ],
      );
    });

    test('GET /v1/policy/shadow: users and agents who are not admins or auditors get an audited 403', async () => {
      for (const token of [await gw.token('user', 'mallory'), agent]) {
        const res = await gw.call('GET', '/v1/policy/shadow', { token });
        assert.equal(res.status, 403);
        assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.equal(res.body.code, 'forbidden');
        const rows = await (
          await indexedStore(gw)
        )
          .selectFrom('audit_entries')
          .select('entry')
          .where('type', '=', 'api.refused')
          .orderBy('idx', 'desc')
          .limit(1)
          .execute();
        const last = JSON.parse(rows[0].entry) as { data: { code: string; route: string } };
        assert.equal(last.data.code, 'forbidden');
        assert.equal(last.data.route, '/v1/policy/shadow');
      }
      const none = await gw.call('GET', '/v1/policy/shadow');
      assert.equal(none.status, 401);
    });

    test('an invalid shadow is refused on reload: the previous shadow and the live policy stay', async () => {
      const live = gw.gateway.policy.current.version;
      const shadow = gw.gateway.policy.shadow?.current?.version;
      writeFileSync(join(gw.dir, 'shadow.yaml'), SHADOW.replace('quorum: 1', 'quorum: one'));
      const r = gw.gateway.policy.reload();
      assert.equal(r.ok, true, 'the live policy reloaded');
      assert.equal(r.shadow?.ok, false);
      assert.match(r.shadow?.error ?? '', /shadow\.yaml:\d+/);
      assert.equal(gw.gateway.policy.current.version, live);
      assert.equal(gw.gateway.policy.shadow?.current?.version, shadow);
      const res = await submit(agent, { action: 'db.export', resource: 'x', params: { rows: 6 } });
      assert.equal(res.body.status, 'approved');
      assert.equal((await disagreements(gw, res.body.id))[0].data.shadow.policy_version, shadow);
      const metrics = await fetch(`${gw.url}/metrics`).then((m) => m.text());
      assert.match(metrics, /countersign_policy_shadow_errors_total\{stage="load"\} 1/);
    });

    test('a reload swaps the shadow: new kinds, a new tally, the live policy untouched', async () => {
      const live = gw.gateway.policy.current.version;
      writeFileSync(join(gw.dir, 'shadow.yaml'), SHADOW_2);
      const r = gw.gateway.policy.reload();
      assert.equal(r.shadow?.ok, true);
      assert.equal(r.shadow?.changed, true);
      assert.equal(gw.gateway.policy.current.version, live);
      const res = await submit(agent, { action: 'db.export', resource: 'x', params: { rows: 7 } });
      assert.equal(res.body.status, 'approved', 'the shadow deny is not enforced');
      const [entry] = await disagreements(gw, res.body.id);
      assert.equal(entry.data.kind, 'denied-that-was-allowed');
      assert.equal(entry.data.shadow.policy_version, r.shadow?.version);
      const view = await gw.call('GET', '/v1/policy/shadow', { token: root });
      assert.equal(view.body.version, r.shadow?.version);
      assert.equal(view.body.counts['denied-that-was-allowed'], 1);
      assert.equal(view.body.counts['needs-approval-that-was-allowed'], 0, 'a new tally');
    });
  });
}

describe('shadow policies: an invalid shadow at start', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({ shadowPolicy: 'version: 1\nrules: [{ id: x }]\n' });
  });
  after(() => gw.close());

  test('the gateway starts on the live policy alone; no shadow is evaluated', async () => {
    assert.equal(gw.gateway.policy.shadow?.current, undefined);
    const agent = await gw.token('agent', 'exporter');
    const res = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'x', params: { rows: 5 } },
    });
    assert.equal(res.body.status, 'approved');
    const view = await gw.call('GET', '/v1/policy/shadow', {
      token: await gw.token('user', 'root'),
    });
    assert.equal(view.body.configured, true);
    assert.equal(view.body.version, null);
    const rows = await (
      await indexedStore(gw)
    )
      .selectFrom('audit_entries')
      .select('idx')
      .where('type', '=', 'policy.shadow_disagreed')
      .execute();
    assert.equal(rows.length, 0);
  });

  test('without policy.shadow the endpoint says none is configured', async () => {
    const plain = await startGateway({ policy: POLICY });
    try {
      const view = await plain.call('GET', '/v1/policy/shadow', {
        token: await plain.token('user', 'root'),
      });
      assert.equal(view.status, 200);
      assert.equal(view.body.configured, false);
      assert.equal(view.body.file, null);
    } finally {
      await plain.close();
    }
  });
});

describe('shadow policies: configuration', () => {
  const config = (policy: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'countersign-shadow-'));
    try {
      const file = join(dir, 'countersign.yaml');
      writeFileSync(file, `directory: { users: [{ id: root, admin: true }] }\n${policy}\n`);
      return { dir, result: loadConfig(file, {}) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('policy: { file, shadow } resolves both paths beside the config; the short form has no shadow', () => {
    const { dir, result } = config('policy: { file: policy.yaml, shadow: rules/candidate.yaml }');
    assert.equal(result.policyFile, join(dir, 'policy.yaml'));
    assert.equal(result.policyShadowFile, join(dir, 'rules', 'candidate.yaml'));
    assert.equal(config('policy: policy.yaml').result.policyShadowFile, undefined);
    assert.equal(config('policy: { file: policy.yaml }').result.policyShadowFile, undefined);
  });

  test('an unknown key under policy: is refused', () => {
    assert.throws(() => config('policy: { file: policy.yaml, shadows: c.yaml }'), /shadows/);
  });
});
