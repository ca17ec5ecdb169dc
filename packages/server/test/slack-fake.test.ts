import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KnownBlock } from '@slack/types';
import { SlackApi, SlackCallError } from '../src/channels/slack/slack-api.js';
import { BOT_TOKEN, startFakeSlack, triggerId, type FakeSlack } from './fake-slack/fake-slack.js';

/**
 * The fake Slack is as strict as Slack: driven through @slack/web-api as the gateway drives
 * it, it refuses what Slack refuses (invalid_blocks with the reason, a stale or reused
 * trigger_id), so a renderer that breaks a rule fails a test instead of production.
 */
describe('the fake Slack Web API refuses what Slack refuses', () => {
  let fake: FakeSlack;
  let api: SlackApi;
  before(async () => {
    fake = await startFakeSlack();
    api = new SlackApi(BOT_TOKEN, { apiUrl: fake.url, timeoutMs: 2000 });
  });
  after(() => fake.close());

  const refusal = async (run: () => Promise<unknown>): Promise<SlackCallError> => {
    try {
      await run();
    } catch (e) {
      assert.ok(e instanceof SlackCallError);
      return e;
    }
    assert.fail('accepted');
  };
  const post = (blocks: unknown[]) =>
    api.postMessage('CAPPROVALS', { text: 'x', blocks: blocks as KnownBlock[] });
  const section = (text: string, type = 'mrkdwn') => ({ type: 'section', text: { type, text } });

  test('text limits per element, at the limit accepted and one over refused', async () => {
    await post([section('a'.repeat(3000))]);
    const over = await refusal(() => post([section('a'.repeat(3001))]));
    assert.equal(over.slackError, 'invalid_blocks');
    assert.equal(over.retry, false, 'permanent');
    assert.match(over.message, /json-pointer:\/blocks\/0\/text\/text/);
    for (const blocks of [
      [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
      [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2001) }] }],
      [{ type: 'header', text: { type: 'mrkdwn', text: 'not plain' } }],
      [{ type: 'section', text: { type: 'mrkdwn', text: 'x', emoji: true } }],
      [{ type: 'section', text: { type: 'plain_text', text: 'x', verbatim: true } }],
      [{ type: 'section', text: { type: 'mrkdwn', text: '' } }],
      Array.from({ length: 51 }, () => section('x')),
      [{ type: 'actions', block_id: 'b'.repeat(256), elements: [button('x')] }],
      [{ type: 'actions', elements: [button('x'.repeat(76))] }],
      [{ type: 'actions', elements: [{ ...button('x'), action_id: 'a'.repeat(256) }] }],
      [
        {
          type: 'actions',
          elements: [{ ...button('x'), confirm: confirm({ type: 'mrkdwn', text: 'c' }) }],
        },
      ],
      [
        {
          type: 'actions',
          elements: [
            { ...button('x'), confirm: confirm({ type: 'plain_text', text: 'c'.repeat(301) }) },
          ],
        },
      ],
    ]) {
      assert.equal(
        (await refusal(() => post(blocks))).slackError,
        'invalid_blocks',
        JSON.stringify(blocks).slice(0, 120),
      );
    }
    await post(Array.from({ length: 50 }, () => section('x')));
  });

  test('a trigger_id opens one view, within 3 s', async () => {
    const view = {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'Deny request' },
      blocks: [],
    };
    const fresh = triggerId();
    await api.openView(fresh, view);
    assert.equal((await refusal(() => api.openView(fresh, view))).slackError, 'invalid_trigger_id');
    const stale = triggerId(Date.now() - 3001);
    assert.equal((await refusal(() => api.openView(stale, view))).slackError, 'expired_trigger_id');
    assert.equal(
      (await refusal(() => api.openView('made-up', view))).slackError,
      'invalid_trigger_id',
    );
    const long = { ...view, title: { type: 'plain_text' as const, text: 't'.repeat(25) } };
    assert.equal(
      (await refusal(() => api.openView(triggerId(), long))).slackError,
      'invalid_arguments',
    );
  });

  test('users.info answers like Slack; auth.test names the installing workspace', async () => {
    fake.users.set('U1', { id: 'U1', team_id: 'T0TEST', profile: { email: 'a@example.com' } });
    const user = await api.userInfo('U1');
    assert.equal(user?.is_email_confirmed, undefined, 'absent stays absent');
    assert.equal(await api.userInfo('U404'), undefined);
    assert.equal(await api.teamId(), 'T0TEST');
  });
});

function button(text: string) {
  return { type: 'button', action_id: 'a', text: { type: 'plain_text', text } };
}
function confirm(text: { type: string; text: string }) {
  const p = (t: string) => ({ type: 'plain_text', text: t });
  return { title: p('Sure?'), text, confirm: p('Yes'), deny: p('No') };
}
