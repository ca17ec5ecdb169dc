import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestGateway } from './harness.js';
import { until } from './webhooks-receiver.js';
import { startFakeBotFramework, type FakeBotFramework } from './fake-teams/fake-bot-framework.js';
import {
  AAD,
  CHANNEL,
  auditEntries,
  cardText,
  executeActions,
  invokeActivity,
  postActivity,
  startTeamsGateway,
  submitExport,
  teamsUserId,
  type InvokeOptions,
} from './fake-teams/teams-gateway.js';
import { adaptiveCardProblems } from './fake-teams/card-checks.js';

/**
 * Issue 12 against a Bot Connector as strict as Teams: empty activities and oversize cards
 * refused (400), posts only where the app is installed, rosters by team id, a regional
 * inbound service URL. Defects 7 (DMs), 8 (guests), 17 (invoke answer time), and 6's "never
 * silent" for a card Teams refuses.
 */
describe('Teams against a strict Bot Connector', () => {
  let fake: FakeBotFramework;
  let gw: TestGateway;
  let agent: string;

  before(async () => {
    fake = await startFakeBotFramework();
    gw = await startTeamsGateway(fake);
    agent = await gw.token('agent', 'exporter');
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  const click = async (o: Omit<InvokeOptions, 'serviceUrl'>) => {
    const started = Date.now();
    const res = await postActivity(
      gw,
      invokeActivity({ ...o, serviceUrl: fake.inboundServiceUrl }),
      `Bearer ${await fake.sign()}`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(adaptiveCardProblems(res.body.value), []);
    return { card: res.body.value, ms: Date.now() - started };
  };

  test('personal chats are created without an empty activity, then get the card', async () => {
    const id = await submitExport(gw, agent);
    await until(
      () => fake.posts.filter((p) => p.kind === 'dm' && cardText(p.card).includes(id)).length > 0,
      10_000,
      'a card in a personal chat',
    );
    assert.deepEqual(
      fake.refusals.filter((r) => r.reason.startsWith('BadArgument')),
      [],
      'no empty activity was sent',
    );
    for (const post of fake.posts) assert.deepEqual(adaptiveCardProblems(post.card), []);
  });

  test('a card Teams refuses is not silent: audited as failed, with the reason', async () => {
    fake.installations.delete(CHANNEL.dataOwners);
    try {
      const id = await submitExport(gw, agent);
      await until(
        async () =>
          (await auditEntries(gw, 'action.notified')).some(
            (e) => e.request_id === id && e.data.target === 'teams' && e.data.status === 'failed',
          ),
        10_000,
        'the failed delivery on record',
      );
      const failed = (await auditEntries(gw, 'action.notified')).find(
        (e) => e.request_id === id && e.data.status === 'failed',
      );
      assert.match(failed.data.error, /channel:19:dataowners.*403/);
      // Counted too, so an operator's alert sees it without reading the log.
      const metrics = await fetch(`${gw.url}/metrics`).then((r) => r.text());
      assert.match(
        metrics,
        /countersign_notification_deliveries_total\{notifier="teams",status="failed"\} [1-9]/,
      );
    } finally {
      fake.installations.add(CHANNEL.dataOwners);
    }
  });

  test('a guest never maps by email and cannot approve (userRole guest, #EXT# UPN)', async () => {
    const id = await submitExport(gw, agent);
    const alice = fake.members.get(teamsUserId('alice'));
    assert.ok(alice);
    try {
      for (const guest of [
        { ...alice, userRole: 'guest' },
        { ...alice, userPrincipalName: 'alice_example.com#EXT#@contoso.onmicrosoft.com' },
      ]) {
        fake.members.set(teamsUserId('alice'), guest);
        // A fresh Teams user id each time: nothing cached from an earlier lookup.
        const teamsId = `29:guest-${Math.random().toString(36).slice(2)}`;
        fake.members.set(teamsId, guest);
        fake.teams.forEach((roster) => roster.add(teamsId));
        const { card } = await click({
          as: { id: teamsId, aadObjectId: AAD.alice, name: 'Alice (Guest)' },
          actionId: id,
        });
        assert.match(cardText(card), /guest accounts are never linked by email/);
        assert.equal(executeActions(card).length, 0);
      }
    } finally {
      fake.members.set(teamsUserId('alice'), alice);
    }
    assert.equal((await gw.gateway.actions.votes(id)).length, 0, 'no vote');
  });

  test('a hanging roster lookup: the invoke is answered within 5 s, nothing counted', async () => {
    const id = await submitExport(gw, agent);
    fake.connector = 'hang';
    try {
      const { card, ms } = await click({ as: 'dave', actionId: id });
      assert.ok(ms < 5000, `answered after ${ms} ms`);
      assert.match(cardText(card), /could not look up your Teams account/);
    } finally {
      fake.connector = 'ok';
      fake.release();
    }
    assert.equal((await gw.gateway.actions.votes(id)).length, 0, 'no vote');
  });
});
