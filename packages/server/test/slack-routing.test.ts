import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeSlack, type FakeMessage, type FakeSlack } from './fake-slack/fake-slack.js';
import { startSlackGateway, until, type SlackGateway } from './fake-slack/slack-gateway.js';

/** Destinations: group channels, DMs to eligible approvers, escalation and expiry. */
describe('Slack destinations, escalation and expiry', () => {
  let fake: FakeSlack;
  let gw: SlackGateway;
  let agent: string;

  before(async () => {
    fake = await startFakeSlack();
    fake.users.set('U0ALICE', {
      id: 'U0ALICE',
      team_id: 'T0TEST',
      is_email_confirmed: true,
      profile: { email: 'alice@example.com' },
    });
    gw = await startSlackGateway(fake, {
      channels: [],
      group_channels: { 'sre-oncall': ['CSRE'] },
      dm_approvers: true,
    });
    agent = await gw.token('agent', 'exporter');
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  const submit = async (body: Record<string, unknown>) => {
    const res = await gw.call('POST', '/v1/actions', agent, body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };
  const messagesFor = (id: string) =>
    fake.messages.filter((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(id));
  const repliesTo = (m: FakeMessage) =>
    fake.messages.filter((r) => r.thread_ts === m.ts && r.channel === m.channel);

  test('DMs go to every eligible approver, never to the agent owner; escalation reaches new reviewers', async () => {
    // restore: data-owners, escalating to sre-oncall after 1s (harness POLICY).
    const id = await submit({ action: 'db.restore', resource: 'postgres://prod/customers' });
    await until(() => messagesFor(id).length === 2, 'DMs to frank and alice');
    const dmChannels = messagesFor(id)
      .map((m) => m.channel)
      .sort();
    // frank by slack_id; alice by users.lookupByEmail; bob owns the agent: no DM.
    assert.deepEqual(dmChannels, ['DU0ALICE', 'DU0FRANK']);
    assert.ok(!fake.callsOf('conversations.open').some((c) => c.args.users === 'U0BOB'));

    await until(() => messagesFor(id).length === 4, 'the escalation group: CSRE and carol', 5000);
    const channels = messagesFor(id)
      .map((m) => m.channel)
      .sort();
    assert.deepEqual(channels, ['CSRE', 'DU0ALICE', 'DU0CAROL', 'DU0FRANK']);
    const first = messagesFor(id).find((m) => m.channel === 'DU0FRANK');
    assert.ok(first);
    await until(() => repliesTo(first).length === 1, 'an escalation reply in the thread');
    assert.match(repliesTo(first)[0]?.text ?? '', /Escalated/);
    assert.match(JSON.stringify(first.blocks), /Escalated: restore/);
    // The new CSRE message is not announced twice.
    const sre = messagesFor(id).find((m) => m.channel === 'CSRE');
    assert.ok(sre);
    assert.equal(repliesTo(sre).length, 0);
  });

  test('expiry updates every message to the refused state, without buttons, and says so in the thread', async () => {
    // restarts: sre-oncall, 2s timeout.
    const id = await submit({
      action: 'k8s.rollout.restart',
      resource: 'k8s://prod/payments/deploy/api',
    });
    await until(() => messagesFor(id).length === 2, 'CSRE and a DM to carol');
    await until(
      () => messagesFor(id).every((m) => !m.blocks.some((b) => b.type === 'actions')),
      'expired, buttons removed',
      6000,
    );
    for (const m of messagesFor(id)) {
      assert.match(JSON.stringify(m.blocks), /Expired: k8s\.rollout\.restart/);
      await until(() => repliesTo(m).length === 1, 'an expiry reply');
      assert.match(repliesTo(m)[0]?.text ?? '', /Expired without a decision/);
    }
  });
});
