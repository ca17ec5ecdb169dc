import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { ShadowDisagreementRepository } from '../src/storage/shadow-disagreement-repository.js';
import { indexedStore, postgresAvailable, startGateway, type TestGateway } from './harness.js';

/** Reviews the small exports the harness's live POLICY allows (a stricter candidate). */
const SHADOW = `version: 1
defaults:
  decision: deny
rules:
  - id: small-export-reviewed
    match: { action: db.export }
    when: params.rows <= 10000
    require_approval: { from: [data-owners], quorum: 1 }
  - id: restarts-free
    match: { action: k8s.rollout.restart }
    decision: allow
`;

/**
 * Two gateways on one PostgreSQL database, as two replicas: `GET /v1/policy/shadow` counts
 * the disagreements the store holds, so a disagreement recorded through A is counted by B,
 * before and after the audit sequencer has indexed it, and survives a restart.
 */
describe(
  'shadow disagreements across replicas (postgres)',
  {
    skip: !(await postgresAvailable()),
  },
  () => {
    let a: TestGateway;
    let b: TestGateway;
    let agent: string;
    let deployer: string;
    let auditor: string;
    before(async () => {
      a = await startGateway({ dialect: 'postgres', shadowPolicy: SHADOW });
      b = await startGateway({
        dialect: 'postgres',
        shadowPolicy: SHADOW,
        reuse: { dir: a.dir, databaseUrl: a.databaseUrl },
      });
      agent = await a.token('agent', 'exporter');
      deployer = await a.token('agent', 'deployer');
      auditor = await a.token('user', 'root');
    });
    after(async () => {
      await b.close({ keep: true });
      await a.close();
    });

    const view = async (gw: TestGateway) => {
      const res = await gw.call('GET', '/v1/policy/shadow', { token: auditor });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };

    test('a disagreement recorded via A is counted by B, once, queued or indexed', async () => {
      assert.equal(
        a.gateway.policy.shadow?.current?.version,
        b.gateway.policy.shadow?.current?.version,
      );
      const res = await a.call('POST', '/v1/actions', {
        token: agent,
        body: { action: 'db.export', resource: 'x', params: { rows: 5 } },
      });
      assert.equal(res.body.status, 'approved');
      const onB = await view(b);
      assert.equal(onB.counts['needs-approval-that-was-allowed'], 1);
      assert.deepEqual(
        onB.examples.map((e: { request_id: string; agent: string; action: string }) => [
          e.request_id,
          e.agent,
          e.action,
        ]),
        [[res.body.id, 'exporter', 'db.export']],
      );
      await indexedStore(a); // the sequencer has moved it from the queue into the log
      const indexed = await view(b);
      assert.equal(indexed.counts['needs-approval-that-was-allowed'], 1, 'counted once');
      assert.deepEqual(indexed, await view(a), 'both replicas answer the same');
    });

    test('disagreements on both replicas add up, newest first, and survive a restart', async () => {
      const res = await b.call('POST', '/v1/actions', {
        token: deployer,
        body: { action: 'k8s.rollout.restart', resource: 'deploy/api', params: {} },
      });
      assert.equal(res.body.status, 'pending');
      const onA = await view(a);
      assert.equal(onA.counts['allowed-that-needed-approval'], 1);
      assert.equal(onA.counts['needs-approval-that-was-allowed'], 1);
      assert.equal(onA.examples[0].request_id, res.body.id);
      assert.equal(onA.examples.length, 2);
      await b.close({ keep: true });
      b = await b.restart();
      assert.deepEqual((await view(b)).counts, onA.counts);
    });
  },
);

/** The plan of the count, with literal values in place of its parameters. */
async function countPlan(gw: TestGateway, dialect: 'sqlite' | 'postgres'): Promise<string> {
  const repo = new ShadowDisagreementRepository(gw.gateway.storage.db, dialect);
  const q = repo.countsQuery('sha256:x').compile();
  let n = 0;
  const text = q.sql.replace(/\$\d+|\?/g, () => `'${String(q.parameters[n++])}'`);
  return gw.gateway.storage.db.transaction().execute(async (trx) => {
    // PostgreSQL would rightly scan a table this small: make it show what it does on a large one.
    if (dialect === 'postgres') await sql`set local enable_seqscan = off`.execute(trx);
    const prefix = dialect === 'postgres' ? 'explain' : 'explain query plan';
    return JSON.stringify((await sql.raw(`${prefix} ${text}`).execute(trx)).rows);
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(
    `the shadow count's cost (${dialect})`,
    {
      skip: dialect === 'postgres' && !(await postgresAvailable()),
    },
    () => {
      test('it reads the partial index of migration 0017, never the whole log', async () => {
        const gw = await startGateway({ dialect, shadowPolicy: SHADOW });
        try {
          const plan = await countPlan(gw, dialect);
          assert.match(plan, /audit_entries_shadow/, plan);
          assert.doesNotMatch(plan, /SCAN audit_entries(?! USING)|Seq Scan on audit_entries/, plan);
        } finally {
          await gw.close();
        }
      });
    },
  );
}
