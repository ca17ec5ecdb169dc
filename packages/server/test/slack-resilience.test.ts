import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeSlack, type FakeSlack } from './fake-slack/fake-slack.js';
import { startSlackGateway, until, type SlackGateway } from './fake-slack/slack-gateway.js';

/**
 * Slack down or slow never blocks, fails or delays an agent's request: delivery is the
 * outbox's job, retried with backoff, and the request stays reviewable through the API.
 */
describe('Slack down or slow', () => {
  let fake: FakeSlack;
  let gw: SlackGateway;
  let agent: string;
  let frank: string;

  before(async () => {
    fake = await startFakeSlack();
    gw = await startSlackGateway(fake, { channels: ['C404', 'CAPPROVALS'], timeout_ms: 5000 });
    agent = await gw.token('agent', 'exporter');
    // Warm up (the first request of a process compiles a lot), so timings measure Slack's effect.
    await gw.call('POST', '/v1/actions', agent, {
      action: 'db.export',
      resource: 'x',
      params: { rows: 1 },
    });
    frank = await gw.token('user', 'frank');
  });
  after(async () => {
    await gw.close();
    await fake.close();
  });

  const bigExport = {
    action: 'db.export',
    resource: 'postgres://prod/customers',
    environment: 'production',
    params: { rows: 25000 },
  };
  const outbox = (id: string) =>
    gw.gateway.storage.db
      .selectFrom('outbox')
      .selectAll()
      .where('action_id', '=', id)
      .where('target', '=', 'slack')
      .orderBy('id')
      .execute();
  const shows = (id: string, pattern: RegExp) =>
    fake.messages.some(
      (m) => JSON.stringify(m.blocks).includes(id) && pattern.test(JSON.stringify(m.blocks)),
    );
  const postedTo = (id: string, channel: string) =>
    fake.messages.some(
      (m) => m.channel === channel && !m.thread_ts && JSON.stringify(m.blocks).includes(id),
    );

  test('Slack hanging: the agent is answered at once and reviewers use the API meanwhile', async () => {
    fake.mode = 'hang';
    const started = performance.now();
    const res = await gw.call('POST', '/v1/actions', agent, bigExport);
    const elapsed = performance.now() - started;
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'pending');
    // An attempt may take 5 s here before it times out: waiting for Slack would take that long.
    assert.ok(elapsed < 2500, `answered in ${Math.round(elapsed)} ms`);
    const id = res.body.id as string;
    await until(() => fake.hanging() > 0, 'a Web API call hanging');

    const inbox = await gw.call('GET', '/v1/actions?status=pending', frank);
    assert.ok(inbox.body.items.some((r: { id: string }) => r.id === id));
    const vote = await gw.call('POST', `/v1/actions/${id}/votes`, frank, { vote: 'approve' });
    assert.equal(vote.status, 200);
    assert.equal(vote.body.votes.length, 1);

    fake.mode = 'ok';
    fake.release();
    await until(() => postedTo(id, 'CAPPROVALS'), 'posted once Slack answers', 8000);
    await until(() => shows(id, /`frank` approved/), 'the vote cast meanwhile, shown', 8000);
  });

  test('Slack answering 500: retried with backoff, the reason on record, then delivered', async () => {
    fake.mode = 'down';
    const started = performance.now();
    const res = await gw.call('POST', '/v1/actions', agent, bigExport);
    assert.equal(res.status, 201);
    assert.ok(performance.now() - started < 2500);
    const id = res.body.id as string;
    await until(async () => ((await outbox(id))[0]?.attempts ?? 0) >= 2, 'retries');
    const [row] = await outbox(id);
    assert.equal(row?.delivered_at, null);
    assert.match(row?.last_error ?? '', /chat\.postMessage: .*500/);
    // Still reviewable and decidable through the API.
    const vote = await gw.call('POST', `/v1/actions/${id}/votes`, frank, {
      vote: 'deny',
      comment: 'no',
    });
    assert.equal(vote.body.status, 'denied');

    fake.mode = 'ok';
    await until(() => postedTo(id, 'CAPPROVALS'), 'posted once Slack is back', 8000);
    // Events are delivered in order: the message ends in the final state.
    await until(() => shows(id, /Denied: db\.export/), 'the final state', 8000);
  });

  test('a channel Slack refuses for good is recorded and does not hold back the others', async () => {
    const res = await gw.call('POST', '/v1/actions', agent, bigExport);
    const id = res.body.id as string;
    await until(() => postedTo(id, 'CAPPROVALS'), 'posted to the good channel');
    await until(async () => (await outbox(id))[0]?.failed_at !== null, 'the first row settled');
    const [first] = await outbox(id);
    assert.match(first?.last_error ?? '', /channel:C404: chat\.postMessage: channel_not_found/);
    assert.equal(first?.attempts, 1, 'a permanent refusal is not retried');

    // The next event updates the good message and does not try C404 again.
    const tries = fake.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C404').length;
    await gw.call('POST', `/v1/actions/${id}/votes`, frank, { vote: 'approve' });
    await until(async () => (await outbox(id))[1]?.delivered_at != null, 'the vote delivered');
    assert.equal(
      fake.callsOf('chat.postMessage').filter((c) => c.args.channel === 'C404').length,
      tries,
    );
  });
});
