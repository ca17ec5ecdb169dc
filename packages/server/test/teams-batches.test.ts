import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestGateway } from './harness.js';
import { until } from './webhooks-receiver.js';
import { startFakeBotFramework, type FakeBotFramework } from './fake-teams/fake-bot-framework.js';
import { adaptiveCardProblems } from './fake-teams/card-checks.js';
import {
  auditEntries,
  cardText,
  executeActions,
  invokeActivity,
  postActivity,
  startTeamsGateway,
  submitExport,
  type InvokeOptions,
} from './fake-teams/teams-gateway.js';
import { cardBytes, CARD_BUDGET_BYTES } from '../src/channels/teams/teams-card-size.js';

/**
 * Batches in Teams (docs/teams.md, "Batches"): a card posted while alike requests are pending
 * lists them with **Approve all N…** / **Deny all N**, whose `data.items` are exactly the
 * items shown; a click decides those, all or none, and the answering card says which changed.
 */
describe('Teams batches', () => {
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
    const res = await postActivity(
      gw,
      invokeActivity({ ...o, serviceUrl: fake.inboundServiceUrl }),
      `Bearer ${await fake.sign()}`,
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.value;
  };
  const votes = async (id: string) => gw.gateway.actions.votes(id);
  const batchAction = (card: unknown, verb: string) =>
    executeActions(card).find((a) => a.verb === verb);

  test('alike requests: listed with what sets them apart; all or nothing; exactly the items shown', async () => {
    const ids = [
      await submitExport(gw, agent, 31000),
      await submitExport(gw, agent, 32000),
      await submitExport(gw, agent, 33000),
    ];
    let card: unknown;
    await until(
      () => {
        const post = fake.posts.find(
          (p) =>
            batchAction(p.card, 'countersign.batch_approve')?.data.action_id === ids[2] &&
            batchAction(p.card, 'countersign.batch_approve')?.data.items.length === 3,
        );
        card = post?.card;
        return card !== undefined;
      },
      10_000,
      'a card with the batch',
    );
    assert.deepEqual(adaptiveCardProblems(card), []);
    assert.ok(cardBytes(card as object) <= CARD_BUDGET_BYTES);
    const text = cardText(card);
    assert.match(text, /Decide 3 alike requests together/);
    for (const rows of ['31000', '32000', '33000']) assert.ok(text.includes(rows), rows);
    const approve = batchAction(card, 'countersign.batch_approve');
    const deny = batchAction(card, 'countersign.batch_deny');
    assert.equal(approve.title, 'Yes, approve all 3');
    assert.equal(deny.title, 'Deny all 3');
    assert.deepEqual(approve.data.items.map((i: { id: string }) => i.id).sort(), [...ids].sort());

    // gina denies the first one through the API after the card was posted (a deny decides).
    const gina = await gw.token('user', 'gina');
    const voted = await gw.call('POST', `/v1/actions/${ids[0]}/votes`, {
      token: gina,
      body: { vote: 'deny', comment: 'not this one' },
    });
    assert.equal(voted.status, 200, JSON.stringify(voted.body));
    const refused = await click({
      as: 'frank',
      actionId: ids[2] ?? '',
      verb: approve.verb,
      data: approve.data,
    });
    const told = cardText(refused);
    assert.match(told, /Nothing was counted: 1 of the requests changed/);
    // Markdown-escaped like all text on a card (teams-text.ts): `act\_…`.
    const first = (ids[0] ?? '').replace('_', '\\_');
    assert.ok(told.includes(`${first}: already decided (now denied)`), told);
    for (const id of ids.slice(1)) assert.equal((await votes(id)).length, 0, 'nothing counted');
    assert.ok((await auditEntries(gw, 'action.batch_refused')).length >= 1);

    // The two left, as a card listing them would carry them: one vote each, from Teams.
    const left = {
      ...approve.data,
      items: approve.data.items.filter((i: { id: string }) => i.id !== ids[0]),
    };
    const counted = await click({
      as: 'frank',
      actionId: ids[2] ?? '',
      verb: approve.verb,
      data: { ...left, comment: 'fine' },
    });
    assert.match(cardText(counted), /approval of 2 requests was counted/);
    for (const id of ids.slice(1)) {
      const v = await votes(id);
      assert.deepEqual(
        v.map((x) => [x.user, x.channel, x.comment]),
        [['frank', 'teams', 'fine']],
      );
    }
  });

  test('items not as Countersign writes them are refused and audited, nothing counted', async () => {
    const ids = [await submitExport(gw, agent, 41000), await submitExport(gw, agent, 42000)];
    const answer = await click({
      as: 'frank',
      actionId: ids[0] ?? '',
      verb: 'countersign.batch_approve',
      data: {
        action_id: ids[0],
        items: ids.map((id) => ({ id, digest: 'sha256:short' })),
      },
    });
    assert.match(cardText(answer), /not a Countersign button/);
    for (const id of ids) assert.equal((await votes(id)).length, 0);
    const refusals = await auditEntries(gw, 'api.refused');
    assert.ok(refusals.some((e) => e.data.reason === 'unknown_action'));
  });
});
