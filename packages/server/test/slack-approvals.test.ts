import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startFakeSlack, type FakeMessage, type FakeSlack } from './fake-slack/fake-slack.js';
import {
  blockActions,
  denySubmission,
  formBody,
  postInteraction,
  SIGNING_SECRET,
} from './fake-slack/slack-payloads.js';
import {
  PUBLIC_URL,
  auditEntries,
  startSlackGateway,
  until,
  type SlackGateway,
} from './fake-slack/slack-gateway.js';

/** HTTP mode, end to end: the real gateway, the real Web API client, a fake Slack. */
describe('Slack approvals over HTTP', () => {
  let fake: FakeSlack;
  let gw: SlackGateway;
  let agent: string;
  let admin: string;

  before(async () => {
    fake = await startFakeSlack();
    fake.users.set('U0ALICE', {
      id: 'U0ALICE',
      team_id: 'T0TEST',
      is_email_confirmed: true,
      profile: { email: 'alice@example.com' },
    });
    fake.users.set('U0SPOOF', {
      id: 'U0SPOOF',
      team_id: 'T0TEST',
      is_email_confirmed: false,
      profile: { email: 'frank@example.com' },
    });
    fake.users.set('U0STRANGER', { id: 'U0STRANGER', profile: { email: 'nobody@example.com' } });
    gw = await startSlackGateway(fake);
    agent = await gw.token('agent', 'exporter');
    admin = await gw.token('user', 'root');
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
  const bigExport = (extra: Record<string, unknown> = {}) =>
    submit({
      action: 'db.export',
      resource: 'postgres://prod/customers',
      environment: 'production',
      params: { rows: 25000, table: 'customers' },
      ...extra,
    });
  /** The message posted for request `id` (not a thread reply), once it exists. */
  const posted = async (id: string, channel = 'CAPPROVALS'): Promise<FakeMessage> => {
    let found: FakeMessage | undefined;
    await until(() => {
      found = fake.messages.find(
        (m) => m.channel === channel && !m.thread_ts && JSON.stringify(m.blocks).includes(id),
      );
      return found !== undefined;
    }, `a message for ${id} in ${channel}`);
    return found as FakeMessage;
  };
  const click = (user: string, actionId: string) =>
    postInteraction(gw.url, blockActions({ user, actionId }));
  const votes = (id: string) =>
    gw.gateway.storage.db.selectFrom('votes').selectAll().where('action_id', '=', id).execute();
  const status = async (id: string) =>
    (await gw.call('GET', `/v1/actions/${id}`, admin)).body.status;
  const ephemeralTo = (user: string) =>
    fake.callsOf('chat.postEphemeral').filter((c) => c.args.user === user);

  test('a request that needs approval is posted with its context, params and buttons', async () => {
    const id = await bigExport({ risk: 'high', justification: 'Quarterly churn analysis' });
    const m = await posted(id);
    const json = JSON.stringify(m.blocks);
    assert.match(json, /Approval needed: db\.export · high risk/);
    for (const s of ['exporter', 'postgres://prod/customers', 'production', 'Quarterly churn']) {
      assert.ok(json.includes(s), s);
    }
    assert.match(json, /prod-large-export/);
    assert.ok(json.includes(`<${PUBLIC_URL}/actions/${id}|Open the full request>`));
    assert.ok(
      json.includes(`countersign.approve:${id}`) && json.includes(`countersign.deny:${id}`),
    );
    const call = fake.callsOf('chat.postMessage').find((c) => c.args.channel === 'CAPPROVALS');
    assert.equal(call?.token, 'xoxb-test-bot-token');
    assert.equal(call?.args.unfurl_links, 'false');
  });

  test('Approve counts a vote through VoteService; messages update in place to the final state', async () => {
    const id = await bigExport();
    const m = await posted(id);
    const payload = blockActions({ user: 'U0FRANK', actionId: `countersign.approve:${id}` });
    const res = await postInteraction(gw.url, payload);
    assert.equal(res.status, 200);
    await until(async () => (await votes(id)).length > 0, 'the vote, after the ack');
    const [vote] = await votes(id);
    assert.equal(vote?.user_id, 'frank');
    assert.equal(vote?.channel, 'slack');
    assert.equal(vote?.outcome, 'counted');
    const raw = formBody(payload);
    assert.equal(vote?.evidence, `sha256:${createHash('sha256').update(raw).digest('hex')}`);
    await until(() => m.versions >= 2, 'the vote shown in place');
    assert.match(JSON.stringify(m.blocks), /`frank` approved <!date/);
    assert.ok(
      m.blocks.some((b) => b.type === 'actions'),
      'still pending: buttons stay',
    );
    await until(() => ephemeralTo('U0FRANK').length > 0, 'a note to frank');

    // alice has no slack_id: users.info gives her confirmed email.
    assert.equal((await click('U0ALICE', `countersign.approve:${id}`)).status, 200);
    await until(async () => (await status(id)) === 'approved', 'approved');
    assert.ok(fake.callsOf('users.info').some((c) => c.args.user === 'U0ALICE'));
    await until(() => !m.blocks.some((b) => b.type === 'actions'), 'buttons removed');
    const json = JSON.stringify(m.blocks);
    assert.match(json, /Approved: db\.export/);
    assert.match(json, /`alice` approved/);
    assert.equal(fake.messages.filter((x) => JSON.stringify(x.blocks).includes(id)).length, 1);
  });

  test('a forged or tampered signature is a 401, audited, with no state change', async () => {
    const id = await bigExport();
    const payload = blockActions({ user: 'U0FRANK', actionId: `countersign.approve:${id}` });
    const before = (await auditEntries(gw, 'api.refused')).length;
    const forged = await postInteraction(gw.url, payload, {
      secret: 'not-the-signing-secret-at-all!!',
    });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.code, 'invalid_signature');
    assert.equal(forged.body.reason, 'mismatch');
    const tampered = await postInteraction(gw.url, payload, {
      tamper: (b) => b.replace('U0FRANK', 'U0ERIN'),
    });
    assert.equal(tampered.status, 401);
    const unsigned = await postInteraction(gw.url, payload, {
      headers: { 'x-slack-signature': '' },
    });
    assert.equal(unsigned.body.reason, 'missing');
    assert.deepEqual(await votes(id), []);
    assert.equal(await status(id), 'pending');
    const refused = (await auditEntries(gw, 'api.refused')).slice(before);
    assert.equal(refused.length, 3);
    for (const e of refused) {
      assert.equal(e.data.code, 'invalid_signature');
      assert.equal(e.data.route, '/slack/interactions');
    }
  });

  test('a signed payload nested past the JSON depth limit is a 400, audited, nothing counted', async () => {
    const id = await bigExport();
    let deep: unknown = [];
    for (let i = 0; i < 64; i++) deep = [deep];
    const payload = {
      ...blockActions({ user: 'U0FRANK', actionId: `countersign.approve:${id}` }),
      extra: deep,
    };
    const before = (await auditEntries(gw, 'api.refused')).length;
    const res = await postInteraction(gw.url, payload);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.equal(res.body.code, 'invalid_request');
    assert.equal(res.body.max_depth, 64);
    assert.deepEqual(await votes(id), []);
    assert.equal(await status(id), 'pending');
    const refused = (await auditEntries(gw, 'api.refused')).slice(before);
    assert.deepEqual(
      refused.map((e) => [e.data.code, e.data.route]),
      [['invalid_request', '/slack/interactions']],
    );
  });

  test('a stale or future timestamp is refused', async () => {
    const id = await bigExport();
    const payload = blockActions({ user: 'U0FRANK', actionId: `countersign.approve:${id}` });
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - 360, now + 360]) {
      const res = await postInteraction(gw.url, payload, { timestamp });
      assert.equal(res.status, 401);
      assert.equal(res.body.reason, 'stale');
    }
    assert.deepEqual(await votes(id), []);
  });

  test('a replayed payload is accepted once', async () => {
    const id = await bigExport();
    const payload = blockActions({ user: 'U0FRANK', actionId: `countersign.approve:${id}` });
    const timestamp = Math.floor(Date.now() / 1000);
    assert.equal((await postInteraction(gw.url, payload, { timestamp })).status, 200);
    const replay = await postInteraction(gw.url, payload, { timestamp });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.reason, 'replayed');
    assert.equal((await votes(id)).length, 1);
    // In the store, not the process: every replica refuses it.
    const seen = await gw.gateway.storage.db
      .selectFrom('kv')
      .select('key')
      .where('key', 'like', 'slack:seen:%')
      .execute();
    assert.ok(seen.length >= 1);
  });

  test('an unknown action id is refused, audited, and changes nothing', async () => {
    const id = await bigExport();
    for (const actionId of [
      `countersign.launch:${id}`,
      'something-else',
      `countersign.approve:${id}x!`,
    ]) {
      assert.equal((await click('U0FRANK', actionId)).status, 200);
    }
    const refused = (await auditEntries(gw, 'api.refused')).filter(
      (e) => e.data.reason === 'unknown_action',
    );
    assert.equal(refused.length, 3);
    assert.equal(refused[0].data.slack_user, 'U0FRANK');
    assert.deepEqual(await votes(id), []);
  });

  test('the owner of the requesting agent cannot approve its request from Slack', async () => {
    const id = await bigExport();
    assert.equal((await click('U0BOB', `countersign.approve:${id}`)).status, 200);
    const [vote] = await votes(id);
    assert.equal(vote?.outcome, 'refused');
    assert.equal(vote?.code, 'self_approval_forbidden');
    assert.equal(vote?.channel, 'slack');
    assert.equal(await status(id), 'pending');
    const audited = (await auditEntries(gw, 'action.vote_refused')).filter(
      (e) => e.request_id === id,
    );
    assert.equal(audited[0]?.data.code, 'self_approval_forbidden');
    await until(() => ephemeralTo('U0BOB').length > 0, 'an explanation to bob');
    assert.match(String(ephemeralTo('U0BOB')[0]?.args.text), /cannot approve/);
  });

  test('an unmapped Slack user, or one whose email is unconfirmed, is refused and audited', async () => {
    const id = await bigExport();
    for (const user of ['U0STRANGER', 'U0SPOOF', 'U0NOBODY']) {
      assert.equal((await click(user, `countersign.approve:${id}`)).status, 200);
    }
    const unmapped = async () =>
      (await auditEntries(gw, 'api.refused')).filter(
        (e) => e.data.reason === 'unmapped_slack_user' && e.request_id === id,
      );
    await until(async () => (await unmapped()).length === 3, 'three refusals');
    const refused = (await auditEntries(gw, 'api.refused')).filter(
      (e) => e.data.reason === 'unmapped_slack_user' && e.request_id === id,
    );
    assert.deepEqual(refused.map((e) => e.actor.id).sort(), [
      'slack:U0NOBODY',
      'slack:U0SPOOF',
      'slack:U0STRANGER',
    ]);
    assert.deepEqual(await votes(id), []);
    for (const user of ['U0STRANGER', 'U0SPOOF', 'U0NOBODY']) {
      await until(() => ephemeralTo(user).length > 0, `an explanation to ${user}`);
      assert.match(String(ephemeralTo(user)[0]?.args.text), /not linked/);
    }
  });

  test('Deny opens a modal; its submission denies with the reason', async () => {
    const id = await bigExport();
    const m = await posted(id);
    assert.equal((await click('U0FRANK', `countersign.deny:${id}`)).status, 200);
    await until(() => fake.callsOf('views.open').length > 0, 'views.open');
    const open = fake.callsOf('views.open').at(-1);
    assert.match(String(open?.args.trigger_id), /^\d{13}\.\d+\.[0-9a-f]+$/);
    assert.equal(open?.args.view.callback_id, 'countersign.deny');
    assert.deepEqual(await votes(id), [], 'the click itself is no vote');

    const empty = await postInteraction(
      gw.url,
      denySubmission({ user: 'U0FRANK', id, reason: '  ' }),
    );
    assert.equal(empty.body.response_action, 'errors');
    const res = await postInteraction(
      gw.url,
      denySubmission({ user: 'U0FRANK', id, reason: 'Not before the audit' }),
    );
    assert.equal(res.status, 200);
    assert.equal(res.body, undefined, 'an empty answer closes the modal');
    assert.equal(await status(id), 'denied');
    const [vote] = await votes(id);
    assert.equal(vote?.comment, 'Not before the audit');
    await until(() => !m.blocks.some((b) => b.type === 'actions'), 'buttons removed');
    assert.match(JSON.stringify(m.blocks), /Denied: db\.export[\s\S]*Not before the audit/);

    // A second submission is refused inside the modal (recorded by VoteService).
    const again = await postInteraction(
      gw.url,
      denySubmission({ user: 'U0ALICE', id, reason: 'me too' }),
    );
    assert.match(again.body.errors.reason, /already decided/);
  });

  test('step_up: web links to the web UI and refuses approving in Slack', async () => {
    const deployer = await gw.token('agent', 'deployer');
    const res = await gw.call('POST', '/v1/actions', deployer, {
      action: 'secrets.read',
      resource: 'vault://prod/db',
    });
    const id = res.body.id as string;
    const m = await posted(id);
    const actions = m.blocks.find((b) => b.type === 'actions');
    assert.equal(actions.elements.length, 1);
    assert.equal(actions.elements[0].url, `${PUBLIC_URL}/actions/${id}`);
    assert.equal((await click('U0ERIN', `countersign.approve:${id}`)).status, 200);
    // The vote service refuses it (one rule, core's channelMayApprove) and records it.
    await until(async () => (await votes(id)).length > 0, 'the refused vote');
    const [vote] = await votes(id);
    assert.equal(vote?.outcome, 'refused');
    assert.equal(vote?.code, 'step_up_required');
    assert.equal(vote?.user_id, 'erin');
    await until(() => ephemeralTo('U0ERIN').length > 0, 'a note to erin');
    assert.match(String(ephemeralTo('U0ERIN')[0]?.args.text), /web inbox: https:\/\/countersign/);
    // The link button's own click is acknowledged and does nothing.
    assert.equal((await click('U0ERIN', `countersign.open:${id}`)).status, 200);
    assert.equal(await status(id), 'pending');
  });

  test("a rule's notify.slack.channels is where its requests go", async () => {
    const deployer = await gw.token('agent', 'deployer');
    const res = await gw.call('POST', '/v1/actions', deployer, {
      action: 'deploy.payments',
      resource: 'k8s://prod/payments',
    });
    await posted(res.body.id, 'CPAYMENTS');
    assert.ok(
      !fake.messages.some(
        (m) => m.channel === 'CAPPROVALS' && JSON.stringify(m.blocks).includes(res.body.id),
      ),
    );
  });

  test('a form without a payload, or not a form, is a 4xx problem', async () => {
    const noPayload = await postInteraction(gw.url, undefined, { body: 'token=x' });
    assert.equal(noPayload.status, 400);
    assert.equal(noPayload.body.code, 'invalid_request');
    const json = await fetch(`${gw.url}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(json.status, 415);
    assert.ok(SIGNING_SECRET.length >= 16);
  });
});
