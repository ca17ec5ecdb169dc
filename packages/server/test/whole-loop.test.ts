import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyLog } from '@countersign/core';
import { dialects, indexedStore } from './harness.js';
import { until } from './fake-slack/slack-gateway.js';
import { cardText, executeActions } from './fake-teams/teams-gateway.js';
import { asSession, signIn } from './web-harness.js';
import {
  APPROVER,
  PAST_EVERY_INTERVAL_MS,
  SLACK_CHANNEL,
  TEAMS_CHANNEL,
  STEP_MS,
  closeOrGiveUp,
  runCli,
  startAllChannels,
  within,
  type AllChannels,
} from './all-channels-harness.js';

/**
 * The product in one test (issue 12, "Must hold"): an agent asks, five people approve through
 * five channels, the agent redeems the grant and reports, and the audit log verifies. It runs
 * only after the gateway's clock has jumped past every cache and timer interval, because a
 * loop that works only while the caches are fresh (the signing-key cache re-read inside the
 * vote's transaction hung the completing vote on SQLite) fails in production after 30 s.
 * Then the clock jumps again, with every cache now warm and stale, and the loop runs again.
 */
// PostgreSQL first: a gateway whose SQLite store hangs cannot close, and ends the process.
for (const dialect of (await dialects()).reverse()) {
  describe(`the whole approval loop through every channel, after time moves (${dialect})`, () => {
    let loop: AllChannels;
    const tokens: Record<string, string> = {};

    before(async () => {
      loop = await startAllChannels(dialect);
      tokens.agent = await loop.gw.token('agent', 'exporter');
      tokens.root = await loop.gw.token('user', 'root');
      for (const user of [APPROVER.api, APPROVER.cli])
        tokens[user] = await loop.gw.token('user', user);
      // Used once before the jump, so the token cache holds rows that are stale after it.
      for (const token of [tokens.root, tokens[APPROVER.api], tokens[APPROVER.cli]]) {
        assert.equal((await loop.gw.call('GET', '/v1/actions', { token })).status, 200);
      }
    });
    after(() => closeOrGiveUp(loop));

    test(
      'submit → pending → API, CLI, web, Slack, Teams votes → grant → redeem → result → audit, twice',
      { timeout: 120_000 },
      async () => {
        for (const round of [1, 2]) {
          loop.clock.advance(PAST_EVERY_INTERVAL_MS);
          await approvalLoop(loop, tokens, round);
        }
      },
    );
  });
}

async function approvalLoop(
  loop: AllChannels,
  tokens: Record<string, string>,
  round: number,
): Promise<void> {
  const { gw, slack, teams } = loop;
  const where = `round ${round}`;
  const request = {
    action: 'db.export',
    resource: 'postgres://prod/customers',
    environment: 'production',
    params: { rows: 50_000, table: 'customers', round },
  };

  // The agent asks; the request waits for five approvers.
  const submitted = await within(`${where}: submit`, () =>
    gw.call('POST', '/v1/actions', {
      token: tokens.agent,
      body: { ...request, justification: 'Quarterly churn analysis for finance' },
    }),
  );
  assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
  assert.equal(submitted.body.status, 'pending', where);
  const id = submitted.body.id as string;

  // The Slack message and the Teams card reach their channels through the outbox.
  const message = () =>
    slack.messages.find(
      (m) => m.channel === SLACK_CHANNEL && !m.thread_ts && JSON.stringify(m.blocks).includes(id),
    );
  const card = () =>
    teams.posts.find((p) => p.target === TEAMS_CHANNEL && cardText(p.card).includes(id));
  await until(
    () => message() !== undefined && card() !== undefined,
    `${where}: the Slack message and the Teams card`,
    STEP_MS,
  );
  const slackTs = message()?.ts ?? '';
  const teamsConversation = card()?.conversationId ?? '';
  const pending = (n: number) => `${where}: pending after ${n} of 5`;

  // 1. The API, with a reviewer's token.
  const api = await within(`${where}: the API vote`, () =>
    gw.call('POST', `/v1/actions/${id}/votes`, {
      token: tokens[APPROVER.api],
      body: { vote: 'approve', comment: 'via the API' },
    }),
  );
  assert.equal(api.status, 200, JSON.stringify(api.body));
  assert.equal(api.body.status, 'pending', pending(1));

  // 2. The CLI, as a separate process.
  const cli = await within(`${where}: the CLI vote`, () =>
    runCli([
      'actions',
      'approve',
      id,
      '--comment',
      'via the CLI',
      '--url',
      gw.url,
      '--token',
      tokens[APPROVER.cli] ?? '',
    ]),
  );
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`^${id}: pending`), pending(2));

  // 3. The web inbox: a session from a one-time link, with its CSRF token.
  const web = await within(`${where}: the web vote`, async () =>
    asSession(gw, await signIn(gw, APPROVER.web), 'POST', `/v1/actions/${id}/votes`, {
      body: { vote: 'approve', comment: 'via the web inbox' },
    }),
  );
  assert.equal(web.status, 200, JSON.stringify(web.body));
  assert.equal(web.body.status, 'pending', pending(3));

  // 4. Slack: a signed block_actions click on the message's Approve button.
  const click = await within(`${where}: the Slack click`, () => loop.slackApprove(id, slackTs));
  assert.equal(click.status, 200);
  const votes = async () =>
    (await gw.call('GET', `/v1/actions/${id}`, { token: tokens.root })).body.votes as Array<{
      user: string;
      channel: string;
    }>;
  await until(async () => (await votes()).length === 4, `${where}: the Slack vote`, STEP_MS);
  assert.equal(
    (await gw.call('GET', `/v1/actions/${id}`, { token: tokens.root })).body.status,
    'pending',
    pending(4),
  );

  // 5. Teams: the Action.Execute invoke that completes the quorum; its answer is the final card.
  const invoke = await within(`${where}: the Teams vote (it completes the quorum)`, () =>
    loop.teamsApprove(id, teamsConversation),
  );
  assert.equal(invoke.status, 200, invoke.raw);
  assert.equal(invoke.body.statusCode, 200, JSON.stringify(invoke.body));
  assert.ok(
    cardText(invoke.body.value).includes('Approved: db.export'),
    cardText(invoke.body.value),
  );
  assert.equal(executeActions(invoke.body.value).length, 0, 'no buttons once decided');

  // Approved, with a grant for the agent; each vote records the channel it came through.
  const approved = (await gw.call('GET', `/v1/actions/${id}`, { token: tokens.agent })).body;
  assert.equal(approved.status, 'approved', where);
  assert.deepEqual(
    (approved.votes as Array<{ user: string; channel: string }>).map((v) => [v.user, v.channel]),
    [
      [APPROVER.api, 'api'],
      [APPROVER.cli, 'api'], // the CLI is an API client: the channel comes from its token
      [APPROVER.web, 'web'],
      [APPROVER.slack, 'slack'],
      [APPROVER.teams, 'teams'],
    ],
  );
  const grant = approved.grant?.token as string | undefined;
  assert.ok(grant, `${where}: the approving vote signed a grant`);

  // The agent redeems the grant for exactly this action; a second redeem is refused.
  const redeemed = await within(`${where}: redeem`, () =>
    gw.call('POST', '/v1/grants/redeem', { token: tokens.agent, body: { grant, ...request } }),
  );
  assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
  assert.equal(redeemed.body.claims.request_id, id);
  assert.equal(redeemed.body.claims.sub, 'exporter');
  assert.deepEqual(
    [...(redeemed.body.claims.approvers as string[])].sort(),
    Object.values(APPROVER).sort(),
  );
  const again = await gw.call('POST', '/v1/grants/redeem', {
    token: tokens.agent,
    body: { grant },
  });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'grant_used');

  // ...and reports how it went.
  const reported = await within(`${where}: the result`, () =>
    gw.call('POST', `/v1/actions/${id}/result`, {
      token: tokens.agent,
      body: { outcome: 'completed', detail: { rows: 50_000 } },
    }),
  );
  assert.equal(reported.status, 200, JSON.stringify(reported.body));
  assert.equal(reported.body.status, 'completed', where);

  // The chat messages catch up with the decision (deliveries on the moved clock).
  await until(
    () => !(message()?.blocks ?? []).some((b: { type: string }) => b.type === 'actions'),
    `${where}: the Slack buttons removed`,
    STEP_MS,
  );
  await until(
    () => {
      const post = card();
      return post !== undefined && executeActions(teams.cardOf(post)).length === 0;
    },
    `${where}: the Teams card updated`,
    STEP_MS,
  );

  await within(`${where}: the audit log`, () => auditVerifies(loop, tokens.root ?? '', id, where));
}

/** The request's whole life is in the log, under a signed checkpoint, and the log verifies. */
async function auditVerifies(loop: AllChannels, auditor: string, id: string, where: string) {
  const { gw } = loop;
  const life = await (
    await indexedStore(gw)
  )
    .selectFrom('audit_entries')
    .select(['idx', 'type', 'entry'])
    .where('request_id', '=', id)
    .orderBy('idx')
    .execute();
  const types = life.map((e) => e.type);
  for (const type of [
    'action.submitted',
    'action.vote_counted',
    'grant.issued',
    'grant.redeemed',
    'action.result_reported',
  ]) {
    assert.ok(types.includes(type), `${where}: ${type} in ${types.join(', ')}`);
  }
  // The evidence names the channel each vote came through, as the votes table does.
  assert.deepEqual(
    life
      .filter((e) => e.type === 'action.vote_counted')
      .map((e) => (JSON.parse(e.entry) as { data: { channel: string } }).data.channel),
    ['api', 'api', 'web', 'slack', 'teams'],
  );
  const cp = await gw.call('GET', '/v1/audit/checkpoint', { token: auditor });
  assert.equal(cp.status, 200, JSON.stringify(cp.body));
  assert.ok(cp.body.size > Math.max(...life.map((e) => Number(e.idx))), `${where}: covered`);

  const verified = await gw.call('GET', '/v1/audit/verify', { token: auditor });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal(verified.body.result.ok, true, JSON.stringify(verified.body.result));
  assert.ok(verified.body.checkpoint.size >= cp.body.size);

  // And independently of the gateway's verifier: the entries it serves against its note.
  const entries: string[] = [];
  for (let from = 0; from < cp.body.size; from += 1000) {
    const page = await gw.call('GET', `/v1/audit/entries?from=${from}&to=${cp.body.size}`, {
      token: auditor,
    });
    entries.push(...(page.body.entries as string[]));
  }
  const result = await verifyLog({
    entries,
    checkpoint: cp.body.note as string,
    verifierKeys: gw.gateway.audit.verifierKey,
  });
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(result.ok && result.size, cp.body.size);
}
