import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresAvailable, startGateway, type TestGateway } from './harness.js';
import { STANDING_POLICY } from './standing-fixtures.js';

/**
 * Two gateways on one PostgreSQL database. Each keeps its own index of active standing
 * approvals; LISTEN/NOTIFY tells the other of new and revoked ones, and the claim of a use
 * (one conditional UPDATE) is the authority whatever a replica's index says. Safety polls
 * are off, so only the notification can update the other replica.
 */
const NO_POLL = 600_000;
const EXPORT = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000 },
};

/** Waits (up to 10 s) for a condition another process makes true. */
async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe(
  'standing approvals across replicas (postgres)',
  { skip: !(await postgresAvailable()) },
  () => {
    let a: TestGateway;
    let b: TestGateway;
    let exporter: string;
    let alice: string;
    before(async () => {
      a = await startGateway({ dialect: 'postgres', policy: STANDING_POLICY, pollMs: NO_POLL });
      b = await startGateway({
        dialect: 'postgres',
        pollMs: NO_POLL,
        reuse: { dir: a.dir, databaseUrl: a.databaseUrl },
      });
      exporter = await a.token('agent', 'exporter');
      alice = await a.token('user', 'alice');
    });
    after(async () => {
      await b.close({ keep: true });
      await a.close();
    });

    const submitOn = async (gw: TestGateway) => {
      const res = await gw.call('POST', '/v1/actions', { token: exporter, body: EXPORT });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as { id: string; status: string; standing_approval_id: string | null };
    };
    const createOn = async (gw: TestGateway, uses: number) => {
      const req = await submitOn(gw);
      assert.equal(req.status, 'pending');
      const res = await gw.call('POST', `/v1/actions/${req.id}/votes`, {
        token: alice,
        body: { vote: 'approve', standing: { uses } },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.standing_approval.id as string;
    };

    test('created on A, used on B; revoked on A, refused on B even with a stale index', async () => {
      const id = await createOn(a, 5);
      await until('B to learn of it', () => b.gateway.standing.index.has(id));
      const used = await submitOn(b);
      assert.equal(used.status, 'approved');
      assert.equal(used.standing_approval_id, id);

      const stale = b.gateway.standing.index.get(id)!.sa;
      const revoked = await a.call('POST', `/v1/standing-approvals/${id}/revoke`, {
        token: alice,
        body: {},
      });
      assert.equal(revoked.status, 200);
      await until('B to hear of the revocation', () => !b.gateway.standing.index.has(id));
      // As if B had missed the notification: its index still offers the revoked approval.
      b.gateway.standing.index.put(stale, Date.now());
      assert.ok(b.gateway.standing.index.has(id));
      const refused = await submitOn(b);
      assert.equal(refused.status, 'pending', 'the claim in the store refuses a revoked one');
      assert.equal(refused.standing_approval_id, null);
      b.gateway.standing.index.remove(id);
    });

    test('the last use, raced for on both replicas, is taken once', async () => {
      const id = await createOn(a, 1);
      await until('B to learn of it', () => b.gateway.standing.index.has(id));
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => submitOn(a)),
        ...Array.from({ length: 4 }, () => submitOn(b)),
      ]);
      const approved = results.filter((r) => r.status === 'approved');
      assert.equal(approved.length, 1);
      assert.equal(approved[0]?.standing_approval_id, id);
    });
  },
);
