import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeSlack, triggerId, type FakeSlack } from './fake-slack/fake-slack.js';
import { blockActions, denySubmission, postInteraction } from './fake-slack/slack-payloads.js';
import {
  auditEntries,
  startSlackGateway,
  until,
  type SlackGateway,
} from './fake-slack/slack-gateway.js';
import { HOSTILE_PARAMS, HOSTILE_STRINGS } from '@countersign/core';

/**
 * Clicks from the attacker's and the clock's side: identity that must fail closed, payloads
 * Slack never sends, answers that cannot be delivered, a directory lookup that hangs, an
 * expired trigger, and a message Slack refuses. None may be silent.
 */
describe('Slack clicks and deliveries that go wrong', () => {
  let fake: FakeSlack;
  let gw: SlackGateway;
  let agent: string;

  before(async () => {
    fake = await startFakeSlack();
    const user = (id: string, extra: Record<string, unknown>) =>
      fake.users.set(id, { id, profile: { email: 'alice@example.com' }, ...extra });
    user('U0NOFLAG', { team_id: 'T0TEST' }); // is_email_confirmed absent
    user('U0OTHERWS', { team_id: 'T0OTHER', is_email_confirmed: true });
    user('U0NOTEAM', { is_email_confirmed: true });
    user('U0ALICE', { team_id: 'T0TEST', is_email_confirmed: true });
    user('U0ALICE2', { team_id: 'T0TEST', is_email_confirmed: true });
    // No team_id configured: the installing workspace comes from auth.test.
    gw = await startSlackGateway(fake, { timeout_ms: 5000 });
    agent = await gw.token('agent', 'exporter');
  });
  after(async () => {
    fake.release();
    await gw.close();
    await fake.close();
  });

  const submit = async (extra: Record<string, unknown> = {}) => {
    const res = await gw.call('POST', '/v1/actions', agent, {
      action: 'db.export',
      resource: 'postgres://prod/customers',
      environment: 'production',
      params: { rows: 25000 },
      ...extra,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id as string;
  };
  const votes = (id: string) =>
    gw.gateway.storage.db.selectFrom('votes').selectAll().where('action_id', '=', id).execute();
  const refusals = async (reason: string) =>
    (await auditEntries(gw, 'api.refused')).filter((e) => e.data.reason === reason);
  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };

  test('email mapping needs is_email_confirmed === true and the installing workspace', async () => {
    const id = await submit();
    for (const user of ['U0NOFLAG', 'U0OTHERWS', 'U0NOTEAM']) {
      await postInteraction(gw.url, blockActions({ user, actionId: `countersign.approve:${id}` }));
    }
    await until(async () => (await refusals('unmapped_slack_user')).length >= 3, 'refusals');
    assert.deepEqual((await refusals('unmapped_slack_user')).map((e) => e.actor.id).sort(), [
      'slack:U0NOFLAG',
      'slack:U0NOTEAM',
      'slack:U0OTHERWS',
    ]);
    assert.ok(fake.callsOf('auth.test').length >= 1, 'the workspace asked of Slack');
    // A click signed for another workspace, even by a user with an explicit slack_id.
    await postInteraction(
      gw.url,
      blockActions({ user: 'U0FRANK', team: 'T0OTHER', actionId: `countersign.approve:${id}` }),
    );
    await until(async () => (await refusals('other_workspace')).length > 0, 'other workspace');
    assert.deepEqual(await votes(id), []);
  });

  test('a payload with a lone surrogate is answered through response_url, audited and counted', async () => {
    const id = await submit();
    const before = await metric(
      'countersign_slack_failed_clicks_total{reason="malformed_payload"}',
    );
    for (const payload of [
      blockActions({ user: 'U0FRANK\uD83D', actionId: `countersign.approve:${id}` }),
      blockActions({ user: 'U0FRANK', channel: 'C\uDC00', actionId: `countersign.approve:${id}` }),
    ]) {
      const responseUrl = fake.responseUrl();
      const res = await postInteraction(gw.url, { ...payload, response_url: responseUrl });
      assert.equal(res.status, 200);
    }
    await until(() => fake.responses.length >= 2, 'both clickers told');
    for (const r of fake.responses.slice(-2)) {
      assert.equal(r.response_type, 'ephemeral');
      assert.match(String(r.text), /could not read this click; nothing was counted/);
    }
    assert.equal((await refusals('malformed_payload')).length >= 2, true);
    assert.equal(
      await metric('countersign_slack_failed_clicks_total{reason="malformed_payload"}'),
      before + 2,
    );
    assert.deepEqual(await votes(id), []);
  });

  test('chat.postEphemeral failing: the answer goes through response_url; both failing is counted', async () => {
    const id = await submit();
    fake.failing.set('chat.postEphemeral', 'channel_not_found');
    try {
      const responseUrl = fake.responseUrl();
      const n = fake.responses.length;
      await postInteraction(gw.url, {
        ...blockActions({ user: 'U0NOBODY', actionId: `countersign.approve:${id}` }),
        response_url: responseUrl,
      });
      await until(() => fake.responses.length > n, 'told through response_url');
      assert.match(String(fake.responses.at(-1)?.text), /Not counted/);

      const lost = await metric('countersign_slack_lost_replies_total');
      await postInteraction(gw.url, {
        ...blockActions({ user: 'U0NOBODY', actionId: `countersign.approve:${id}` }),
        response_url: 'https://evil.example/steal', // never called: not a Slack URL
      });
      await until(
        async () => (await metric('countersign_slack_lost_replies_total')) === lost + 1,
        'a lost reply counted',
      );
    } finally {
      fake.failing.delete('chat.postEphemeral');
    }
  });

  test('Slack is acknowledged within its 3 s window while users.info hangs', async () => {
    const id = await submit();
    await until(() => fake.messages.some((m) => JSON.stringify(m.blocks).includes(id)), 'posted');
    fake.mode = 'hang';
    try {
      const started = performance.now();
      const res = await postInteraction(
        gw.url,
        blockActions({ user: 'U0ALICE', actionId: `countersign.approve:${id}` }),
      );
      const elapsed = performance.now() - started;
      assert.equal(res.status, 200);
      assert.ok(elapsed < 1000, `acknowledged in ${Math.round(elapsed)} ms`);
      await until(() => fake.hanging() > 0, 'users.info hanging');
      assert.deepEqual(await votes(id), [], 'not counted yet');
    } finally {
      fake.mode = 'ok';
      fake.release();
    }
    await until(async () => (await votes(id)).length === 1, 'counted once Slack answers');
  });

  test('a deny submission while users.info hangs closes the form in time and answers later', async () => {
    const id = await submit();
    await until(() => fake.messages.some((m) => JSON.stringify(m.blocks).includes(id)), 'posted');
    fake.mode = 'hang';
    try {
      const started = performance.now();
      const res = await postInteraction(
        gw.url,
        denySubmission({ user: 'U0ALICE2', id, reason: 'not today' }),
      );
      const elapsed = performance.now() - started;
      assert.equal(res.status, 200);
      assert.equal(res.body, undefined, 'the form closes');
      assert.ok(elapsed < 2900, `acknowledged in ${Math.round(elapsed)} ms`);
    } finally {
      fake.mode = 'ok';
      fake.release();
    }
    await until(async () => (await votes(id)).length === 1, 'the deny counted once Slack answers');
    await until(
      () =>
        fake
          .callsOf('chat.postEphemeral')
          .some((c) => c.args.user === 'U0ALICE2' && /You denied/.test(c.args.text)),
      'the outcome told',
    );
  });

  test('an expired trigger_id: the deny form cannot open, and the clicker is told where to deny', async () => {
    const id = await submit();
    const stale = triggerId(Date.now() - 4000);
    await postInteraction(
      gw.url,
      blockActions({ user: 'U0FRANK', actionId: `countersign.deny:${id}`, triggerId: stale }),
    );
    await until(
      () =>
        fake
          .callsOf('chat.postEphemeral')
          .some((c) => c.args.user === 'U0FRANK' && /deny it in Countersign/.test(c.args.text)),
      'the fallback note',
    );
    assert.ok(fake.callsOf('views.open').some((c) => c.args.trigger_id === stale));
  });

  test('a message Slack refuses for good is audited, logged and counted, never silent', async () => {
    fake.failing.set('chat.postMessage', 'invalid_blocks');
    try {
      const id = await submit();
      await until(async () => {
        const notified = await auditEntries(gw, 'action.notified');
        return notified.some(
          (e) =>
            e.request_id === id &&
            e.data.status === 'failed' &&
            /invalid_blocks/.test(String(e.data.error)),
        );
      }, 'a failed delivery on record');
      assert.ok(
        (await metric('countersign_slack_refused_messages_total{error="invalid_blocks"}')) >= 1,
      );
    } finally {
      fake.failing.delete('chat.postMessage');
    }
  });

  test('a request full of hostile text reaches Slack: the strict fake accepts its message', async () => {
    // The API takes 4,000 characters of justification and refuses lone surrogates (canonical
    // JSON): every other hostile string, and &<> to fill.
    const accepted = ([k]: [string, string]) => !/^(ampersands|surrogates)/.test(k);
    const rest = Object.entries(HOSTILE_STRINGS).filter(accepted);
    const hostile = `${rest.map(([, v]) => v).join('\n')}\n${'&<>'.repeat(900)}`;
    const params = {
      rows: 25000,
      ...Object.fromEntries(Object.entries(HOSTILE_PARAMS).filter(accepted)),
    };
    const id = await submit({ risk: 'critical', justification: hostile, params });
    await until(
      () => fake.messages.some((m) => !m.thread_ts && JSON.stringify(m.blocks).includes(id)),
      'posted despite the hostile text',
    );
    const message = fake.messages.find(
      (m) => !m.thread_ts && JSON.stringify(m.blocks).includes(id),
    );
    assert.ok(JSON.stringify(message?.blocks).includes('"confirm"'), 'with its confirm dialog');
  });
});
