import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { APP_TOKEN, startFakeSlack, type FakeSlack } from './fake-slack/fake-slack.js';
import { blockActions, denySubmission } from './fake-slack/slack-payloads.js';
import { startSlackGateway, until, type SlackGateway } from './fake-slack/slack-gateway.js';

/** Socket Mode: no public ingress; the same handler behind a WebSocket (@slack/socket-mode). */
describe('Slack Socket Mode', () => {
  let fake: FakeSlack;
  let gw: SlackGateway;
  let agent: string;

  before(async () => {
    fake = await startFakeSlack();
    gw = await startSlackGateway(fake, {
      mode: 'socket',
      app_token: APP_TOKEN,
      signing_secret: undefined,
    });
    agent = await gw.token('agent', 'exporter');
    await until(() => fake.socketConnected(), 'the Socket Mode connection');
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  const submit = async () => {
    const res = await gw.call('POST', '/v1/actions', agent, {
      action: 'db.export',
      resource: 'postgres://prod/customers',
      environment: 'production',
      params: { rows: 25000 },
    });
    return res.body.id as string;
  };
  const votes = (id: string) =>
    gw.gateway.storage.db.selectFrom('votes').selectAll().where('action_id', '=', id).execute();

  test('apps.connections.open is called with the app-level token, and no HTTP route is open', async () => {
    const open = fake.callsOf('apps.connections.open');
    assert.ok(open.length >= 1);
    assert.equal(open[0]?.token, APP_TOKEN);
    const res = await fetch(`${gw.url}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payload=%7B%7D',
    });
    assert.equal(res.status, 404);
  });

  test('Approve over the socket counts the vote, acknowledged by envelope id', async () => {
    const id = await submit();
    const ack = await fake.socketInteract(
      blockActions({ user: 'U0FRANK', actionId: `countersign.approve:${id}` }),
    );
    assert.deepEqual(ack, {});
    // Acknowledged first (Slack's 3 s window), counted right after.
    await until(async () => (await votes(id)).length > 0, 'the vote');
    const [vote] = await votes(id);
    assert.equal(vote?.user_id, 'frank');
    assert.equal(vote?.channel, 'slack');
    assert.equal(vote?.outcome, 'counted');
    assert.match(vote?.evidence ?? '', /^sha256:[0-9a-f]{64}$/);
  });

  test('a deny submission over the socket denies; a refusal comes back as modal errors', async () => {
    const id = await submit();
    const refused = await fake.socketInteract(
      denySubmission({ user: 'U0BOB', id, reason: 'mine' }),
    );
    assert.equal(refused.response_action, 'errors');
    const ack = await fake.socketInteract(denySubmission({ user: 'U0FRANK', id, reason: 'No' }));
    assert.deepEqual(ack, {});
    const res = await gw.call('GET', `/v1/actions/${id}`, agent);
    assert.equal(res.body.status, 'denied');
  });
});
