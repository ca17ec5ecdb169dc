import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, startGateway, type TestGateway, indexedStore } from './harness.js';

const smallExport = (rows: number) => ({
  action: 'db.export',
  resource: 'postgres://prod/customers',
  params: { rows },
});

/**
 * Issue 12, defect 15: a grant could be redeemed with another agent's token. An agent that
 * authenticates to redeem must be the grant's subject; a target system redeeming with its own
 * credential (a user token) or with the grant alone still can.
 */
for (const dialect of await dialects()) {
  describe(`who may redeem a grant (${dialect})`, () => {
    let gw: TestGateway;
    let exporter: string;
    let deployer: string;
    let target: string;
    before(async () => {
      gw = await startGateway({ dialect });
      exporter = await gw.token('agent', 'exporter');
      deployer = await gw.token('agent', 'deployer');
      // A target system's own credential: a user token for a directory user with no groups.
      target = await gw.token('user', 'mallory');
    });
    after(() => gw.close());

    let rows = 100;
    /** A policy-allowed export by `exporter`, with its grant. */
    const granted = async () => {
      const res = await gw.call('POST', '/v1/actions', {
        token: exporter,
        body: smallExport(++rows),
      });
      assert.equal(res.body.status, 'approved', JSON.stringify(res.body));
      return { id: res.body.id as string, grant: res.body.grant.token as string };
    };
    const redeem = (grant: string, token?: string) =>
      gw.call('POST', '/v1/grants/redeem', { body: { grant }, ...(token ? { token } : {}) });
    const unused = async (grant: string) =>
      (await gw.call('POST', '/v1/grants/verify', { body: { grant } })).body.redeemed_at === null;
    const audited = async (type: string, requestId: string | undefined) =>
      (
        await (
          await indexedStore(gw)
        )
          .selectFrom('audit_entries')
          .select('entry')
          .where('type', '=', type)
          .execute()
      )
        .map(
          (r) =>
            JSON.parse(r.entry) as {
              request_id?: string;
              actor: { kind: string; id: string };
              data: Record<string, unknown>;
            },
        )
        .filter((e) => requestId === undefined || e.request_id === requestId);

    test("another agent's token cannot redeem the grant: 403 not_subject, audited, grant unused", async () => {
      const { id, grant } = await granted();
      const res = await redeem(grant, deployer);
      assert.equal(res.status, 403);
      assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
      assert.equal(res.body.code, 'not_subject');
      assert.ok(await unused(grant), 'the refused redemption did not use the grant up');
      // api.refused names the route, not the request: find it by who was refused, and why.
      const refused = (await audited('api.refused', undefined)).filter(
        (e) => e.actor.id === 'deployer' && e.data.code === 'not_subject',
      );
      assert.deepEqual(
        refused.map((e) => [e.actor.kind, e.data.route]),
        [['agent', '/v1/grants/redeem']],
      );
      assert.deepEqual(await audited('grant.redeemed', id), []);
      // The rightful agent still can, once, and the audit entry names it.
      const own = await redeem(grant, exporter);
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(
        (await audited('grant.redeemed', id)).map((e) => e.actor),
        [{ kind: 'agent', id: 'exporter' }],
      );
    });

    test('a target system redeems with its own user token, recorded under that user', async () => {
      const { id, grant } = await granted();
      const res = await redeem(grant, target);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        (await audited('grant.redeemed', id)).map((e) => e.actor),
        [{ kind: 'user', id: 'mallory' }],
      );
    });

    test('the grant alone (no token) still redeems, as before', async () => {
      const { id, grant } = await granted();
      assert.equal((await redeem(grant)).status, 200);
      assert.deepEqual(
        (await audited('grant.redeemed', id)).map((e) => e.actor),
        [{ kind: 'anonymous', id: 'grant-holder' }],
      );
    });

    test('a token that is presented must be good: 401, grant unused', async () => {
      const { grant } = await granted();
      const res = await redeem(grant, `csa_${'x'.repeat(43)}`);
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'invalid_token');
      assert.ok(await unused(grant));
    });
  });
}
