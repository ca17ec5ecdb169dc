import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN_CACHE_MS } from '../src/auth/token-service.js';
import { KEY_REFRESH_MS } from '../src/grants/key-ring.js';
import { dialects, startGateway, type TestGateway } from './harness.js';
import { startReceiver, until, type Receiver } from './webhooks-receiver.js';

// Time is an input (issue 12): the gateway's caches and timers all read the injected clock.
// Move it past every one of them, then run the whole loop through the API. Defect 1 (the
// quorum vote deadlocking once the key cache was stale) hid behind tests that all ran within
// the first 30 s of a gateway's life.

/** Longer than every cache and timer interval the gateway has. */
const PAST_EVERY_INTERVAL =
  Math.max(
    KEY_REFRESH_MS, // signing-key cache (grants/key-ring.ts)
    TOKEN_CACHE_MS, // token cache (auth/token-service.ts)
    10_000, // audit checkpoint interval (audit.checkpoint_interval default)
    30_000 + 10_000, // outbox lease: attempt timeout + margin (notify/delivery-worker.ts)
  ) + 5_000;

const bigExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000 },
};

for (const dialect of await dialects()) {
  describe(`the whole loop after the clock moved (${dialect})`, () => {
    let gw: TestGateway;
    let receiver: Receiver;
    let clock = Date.now();
    before(async () => {
      receiver = await startReceiver();
      gw = await startGateway({
        dialect,
        tickMs: 20,
        now: () => clock,
        webhooks: {
          endpoints: [{ name: 'ops', url: `${receiver.url}/ops`, secret: 's'.repeat(32) }],
        },
      });
    });
    after(async () => {
      await gw.close();
      await receiver.close();
    });

    test('submit → pending → two votes → approved with grant → redeem → result', async () => {
      const agent = await gw.token('agent', 'exporter');
      const alice = await gw.token('user', 'alice');
      const frank = await gw.token('user', 'frank'); // not bob: he owns the agent
      // Every cache is cold and every timer due before the first request...
      clock += PAST_EVERY_INTERVAL;
      await new Promise((r) => setTimeout(r, 100)); // a few scheduler ticks at the new time
      const submitted = await gw.call('POST', '/v1/actions', { token: agent, body: bigExport });
      assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
      assert.equal(submitted.body.status, 'pending');
      const id = submitted.body.id as string;

      // ...and again between every step (all well inside the rule's 30 min timeout).
      clock += PAST_EVERY_INTERVAL;
      const first = await gw.call('POST', `/v1/actions/${id}/votes`, {
        token: alice,
        body: { vote: 'approve' },
      });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.status, 'pending');

      clock += PAST_EVERY_INTERVAL;
      const second = await gw.call('POST', `/v1/actions/${id}/votes`, {
        token: frank,
        body: { vote: 'approve' },
      });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.status, 'approved');

      clock += PAST_EVERY_INTERVAL;
      const approved = await gw.call('GET', `/v1/actions/${id}`, { token: agent });
      assert.equal(approved.body.status, 'approved');
      const grant = approved.body.grant?.token as string;
      assert.match(grant, /^ey/);

      clock += PAST_EVERY_INTERVAL;
      const jwks = await gw.call('GET', '/.well-known/jwks.json');
      assert.equal(jwks.status, 200);
      const redeemed = await gw.call('POST', '/v1/grants/redeem', { body: { grant } });
      assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
      const again = await gw.call('POST', '/v1/grants/redeem', { body: { grant } });
      assert.equal(again.body.code, 'grant_used');

      clock += PAST_EVERY_INTERVAL;
      const result = await gw.call('POST', `/v1/actions/${id}/result`, {
        token: agent,
        body: { outcome: 'completed' },
      });
      assert.equal(result.status, 200, JSON.stringify(result.body));

      // The outbox delivered at the moved time, and a checkpoint was signed.
      await until(
        () => receiver.received.length >= 2,
        10_000,
        'webhook deliveries for requested and decided',
      );
      clock += PAST_EVERY_INTERVAL;
      await until(
        async () => (await gw.call('GET', '/readyz')).status === 200,
        5_000,
        'ready after the clock moved',
      );
      const checkpoints = await gw.gateway.storage.db
        .selectFrom('audit_checkpoints')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      assert.ok(Number(checkpoints.n) >= 1, 'a checkpoint was made');
    });
  });
}
