import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dialects, type TestGateway, indexedStore } from './harness.js';
import { until } from './webhooks-receiver.js';
import { startFakeBotFramework, type FakeBotFramework } from './fake-teams/fake-bot-framework.js';
import { CHANNEL, cardText, startTeamsGateway, submitExport } from './fake-teams/teams-gateway.js';

/**
 * Teams down or slow never blocks the agent's request: cards go out from the outbox, off the
 * request path, and are retried until Teams answers; the request stays reviewable meanwhile.
 */
for (const dialect of await dialects()) {
  describe(`Teams down or slow (${dialect})`, () => {
    let fake: FakeBotFramework;
    let gw: TestGateway;
    let agent: string;

    before(async () => {
      fake = await startFakeBotFramework();
      // A long per-attempt timeout: a hung call stays in flight for the whole first test, so
      // anything that waited on Teams would take ten seconds.
      gw = await startTeamsGateway(fake, {
        dialect,
        teams: { dm_approvers: false, timeout_ms: 10_000 },
      });
      agent = await gw.token('agent', 'exporter');
    });
    after(async () => {
      await gw.close();
      await fake.close();
    });

    const channelPosts = (id: string) =>
      fake.posts.filter((p) => p.kind === 'channel' && cardText(p.card).includes(id));
    const outboxRow = (id: string) =>
      gw.gateway.storage.db
        .selectFrom('outbox')
        .selectAll()
        .where('action_id', '=', id)
        .where('target', '=', 'teams')
        .executeTakeFirstOrThrow();

    test('a Bot Connector that hangs delays neither the agent nor a vote nor the scheduler', async () => {
      fake.connector = 'hang';
      try {
        const id = await submitExport(gw, agent);
        await until(() => fake.calls.some((c) => c.status === undefined), 10_000, 'a hanging call');
        const started = Date.now();
        const second = await submitExport(gw, agent);
        assert.ok(Date.now() - started < 1000, 'the agent was answered at once');
        // A whole scheduler tick (expiry, escalation, delivery) completes meanwhile…
        await gw.gateway.scheduler.tick();
        // …and the request is decided through another channel while Teams is stuck.
        for (const user of ['alice', 'frank']) {
          const vote = await gw.call('POST', `/v1/actions/${second}/votes`, {
            token: await gw.token('user', user),
            body: { vote: 'approve' },
          });
          assert.equal(vote.status, 200, JSON.stringify(vote.body));
        }
        assert.equal(channelPosts(id).length, 0, 'nothing reached Teams yet');
      } finally {
        fake.connector = 'ok';
        fake.release();
      }
    });

    test('a Bot Connector answering 500 is retried with backoff until the card is posted, once', async () => {
      fake.connector = 500;
      let id: string;
      try {
        id = await submitExport(gw, agent);
        await until(async () => (await outboxRow(id)).attempts >= 2, 10_000, 'retries');
        const row = await outboxRow(id);
        assert.equal(row.delivered_at, null);
        assert.equal(row.failed_at, null, 'not given up');
        assert.match(row.last_error ?? '', /HTTP 500/);
      } finally {
        fake.connector = 'ok';
      }
      await until(async () => (await outboxRow(id)).delivered_at !== null, 10_000, 'delivery');
      const posts = channelPosts(id);
      assert.equal(posts.length, 1, 'posted once');
      assert.equal(posts[0].target, CHANNEL.dataOwners);
      // Each attempt is evidence (action.notified), recorded as the attempt settles.
      const notified = async () =>
        (
          await (
            await indexedStore(gw)
          )
            .selectFrom('audit_entries')
            .select('entry')
            .where('type', '=', 'action.notified')
            .where('request_id', '=', id)
            .execute()
        ).map((r) => JSON.parse(r.entry).data as { target: string; status: string });
      await until(
        async () =>
          (await notified()).some((d) => d.target === 'teams' && d.status === 'delivered'),
        10_000,
        'the delivery on record',
      );
      assert.ok((await notified()).some((d) => d.target === 'teams' && d.status === 'retrying'));
    });
  });
}
