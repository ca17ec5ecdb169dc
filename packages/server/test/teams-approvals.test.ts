import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { dialects, type TestGateway } from './harness.js';
import { until } from './webhooks-receiver.js';
import {
  startFakeBotFramework,
  type FakeBotFramework,
  type PostedCard,
} from './fake-teams/fake-bot-framework.js';
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
  TEAM_ID,
  type InvokeOptions,
} from './fake-teams/teams-gateway.js';

/**
 * Teams end to end, offline: the gateway posts Adaptive Cards to a fake Bot Connector, and
 * clicks arrive at /api/messages as signed `adaptiveCard/action` invokes, exactly as Teams
 * sends them. Every vote goes through VoteService, so the API's guarantees hold here too.
 */
for (const dialect of await dialects()) {
  describe(`Teams approvals (${dialect})`, () => {
    let fake: FakeBotFramework;
    let gw: TestGateway;
    let agent: string;

    before(async () => {
      fake = await startFakeBotFramework();
      gw = await startTeamsGateway(fake, { dialect });
      agent = await gw.token('agent', 'exporter');
    });
    after(async () => {
      await gw.close();
      await fake.close();
    });

    const postsFor = (id: string): PostedCard[] =>
      fake.posts.filter((p) => cardText(p.card).includes(id));
    const click = async (o: Omit<InvokeOptions, 'serviceUrl'>) => {
      const res = await postActivity(
        gw,
        invokeActivity({ ...o, serviceUrl: fake.inboundServiceUrl }),
        `Bearer ${await fake.sign()}`,
      );
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.statusCode, 200);
      assert.equal(res.body.type, 'application/vnd.microsoft.card.adaptive');
      return { card: res.body.value, raw: res.raw };
    };
    const voteCount = async (id: string) => (await gw.gateway.actions.votes(id)).length;
    const recordOf = (id: string) => gw.gateway.actions.get(adminPrincipal, id);

    test('a pending request is posted to its group channel and to each eligible approver', async () => {
      const id = await submitExport(gw, agent);
      // data-owners: frank, gina, hank, ivan by Entra id; alice has none (no DM); bob owns the agent.
      const dms = [AAD.frank, AAD.gina, AAD.hank, AAD.ivan].sort();
      const targets = () => new Set(postsFor(id).map((p) => p.target));
      await until(
        () => [CHANNEL.dataOwners, ...dms].every((t) => targets().has(t)),
        10_000,
        'the cards',
      );
      const posts = postsFor(id);
      const channel = posts.filter((p) => p.kind === 'channel');
      assert.deepEqual(
        channel.map((p) => p.target),
        [CHANNEL.dataOwners],
      );
      assert.deepEqual(
        posts
          .filter((p) => p.kind === 'dm')
          .map((p) => p.target)
          .sort(),
        dms,
      );
      const card = channel[0].card;
      assert.equal(channel[0].contentType, 'application/vnd.microsoft.card.adaptive');
      assert.equal(card.type, 'AdaptiveCard');
      assert.equal(card.version, '1.4');
      assert.deepEqual(
        executeActions(card).map((a) => [a.title, a.verb, a.data.action_id]),
        [
          ['Yes, approve', 'countersign.approve', id],
          ['Deny', 'countersign.deny', id],
        ],
      );
      // A high-risk request: Approve asks for a second click first.
      assert.equal(card.actions[0].type, 'Action.ShowCard');
      assert.equal(card.actions[0].title, 'Approve…');
      assert.ok(
        card.body.some(
          (e: { type: string; id?: string }) => e.type === 'Input.Text' && e.id === 'comment',
        ),
      );
      const open = card.actions.find((a: { type: string }) => a.type === 'Action.OpenUrl');
      assert.match(open.url, new RegExp(`/actions/${id}$`));
      const text = cardText(card);
      for (const expected of [
        'Approval needed: db.export',
        'high risk',
        'exporter',
        'postgres://prod/customers',
        'production',
        'Quarterly churn analysis for finance',
        'prod-large-export',
        'prod-large-export: 0 of 2',
        'rows',
        '20000',
      ]) {
        assert.ok(text.includes(expected), `the card shows ${expected}`);
      }
    });

    test('approve through a signed invoke: the answer is the updated card, every card follows; at quorum the buttons go', async () => {
      const id = await submitExport(gw, agent);
      await until(() => postsFor(id).length >= 5, 10_000, 'the cards');

      // alice has no teams_aad_id: she is found by the email Teams reports for her.
      const first = await click({ as: 'alice', actionId: id, comment: 'Rows are anonymised' });
      assert.ok(cardText(first.card).includes('prod-large-export: 1 of 2'));
      assert.ok(cardText(first.card).includes('Rows are anonymised'));
      assert.equal(executeActions(first.card).length, 2, 'still pending: buttons stay');
      await until(
        () => postsFor(id).every((p) => cardText(fake.cardOf(p)).includes('1 of 2')),
        10_000,
        'every posted card shows the vote',
      );

      const second = await click({ as: 'frank', actionId: id });
      const text = cardText(second.card);
      assert.ok(text.includes('Approved: db.export'), text);
      assert.ok(text.includes('prod-large-export: 2 of 2'));
      assert.equal(executeActions(second.card).length, 0, 'no buttons once decided');
      assert.ok(!second.card.body.some((e: { type: string }) => e.type === 'Input.Text'));
      await until(
        () =>
          postsFor(id).every((p) => {
            const card = fake.cardOf(p);
            return (
              cardText(card).includes('Approved: db.export') && executeActions(card).length === 0
            );
          }),
        10_000,
        'every posted card in its final state',
      );

      const record = await recordOf(id);
      assert.equal(record.status, 'approved');
      const votes = await gw.gateway.actions.votes(id);
      assert.deepEqual(
        votes.map((v) => [v.user, v.vote, v.channel, v.outcome]),
        [
          ['alice', 'approve', 'teams', 'counted'],
          ['frank', 'approve', 'teams', 'counted'],
        ],
      );
      // Evidence: the SHA-256 of the raw, verified activity.
      const sha = `sha256:${createHash('sha256').update(first.raw).digest('hex')}`;
      assert.equal(votes[0].evidence, sha);
      const counted = (await auditEntries(gw, 'action.vote_counted')).filter(
        (e) => e.request_id === id,
      );
      assert.deepEqual(
        counted.map((e) => e.data.channel),
        ['teams', 'teams'],
      );
    });

    test('deny with a comment', async () => {
      const id = await submitExport(gw, agent);
      await until(() => postsFor(id).length >= 5, 10_000, 'the cards');
      const { card } = await click({
        as: 'frank',
        actionId: id,
        verb: 'countersign.deny',
        comment: 'Not during the change freeze',
      });
      const text = cardText(card);
      assert.ok(text.includes('Denied: db.export'), text);
      assert.ok(text.includes('Not during the change freeze'));
      assert.equal(executeActions(card).length, 0);
      const record = await recordOf(id);
      assert.equal(record.status, 'denied');
      assert.match(record.reason, /denied by frank: Not during the change freeze/);
      await until(
        () => postsFor(id).every((p) => cardText(fake.cardOf(p)).includes('Denied: db.export')),
        10_000,
        'every card shows the denial',
      );
    });

    test('an account that maps to nobody gets an error card; audited; nothing changes', async () => {
      const id = await submitExport(gw, agent);
      const before = (await auditEntries(gw, 'api.refused')).length;
      const strangers: Array<[InvokeOptions['as'], string | undefined, RegExp]> = [
        // Not in the conversation's roster at all.
        [
          {
            id: '29:stranger',
            aadObjectId: '5e000000-0000-4000-8000-00000000005e',
            name: 'Stranger',
          },
          undefined,
          /not linked/,
        ],
        // Of this organisation, but with an email no Countersign user has.
        [
          {
            id: '29:outsider',
            aadObjectId: '0a000000-0000-4000-8000-0000000000a0',
            name: 'Outsider',
          },
          undefined,
          /no single user has its email/,
        ],
        // frank's account, from another tenant (a guest or external account).
        ['frank', 'a0a0a0a0-0000-4000-8000-000000000000', /another organisation/],
      ];
      fake.teams.get(TEAM_ID)?.add('29:outsider');
      fake.members.set('29:outsider', {
        aadObjectId: '0a000000-0000-4000-8000-0000000000a0',
        email: 'outsider@example.org',
      });
      for (const [as, tenantId, message] of strangers) {
        const { card } = await click({ as, actionId: id, ...(tenantId ? { tenantId } : {}) });
        assert.match(cardText(card), message);
        assert.equal(executeActions(card).length, 0, 'an error card has no buttons');
      }
      assert.equal(await voteCount(id), 0, 'no vote recorded');
      assert.equal((await recordOf(id)).status, 'pending');
      const refusals = (await auditEntries(gw, 'api.refused')).slice(before);
      assert.equal(refusals.length, 3);
      for (const r of refusals) {
        assert.equal(r.request_id, id);
        assert.equal(r.data.reason, 'unmapped');
        assert.equal(r.data.channel, 'teams');
        assert.match(r.data.evidence, /^sha256:[0-9a-f]{64}$/);
        assert.equal(r.actor.kind, 'anonymous');
      }
      assert.equal(refusals[0].actor.id, 'teams:5e000000-0000-4000-8000-00000000005e');
    });

    test("approving one's own agent's request: an error card, a refused vote on record, nothing changes", async () => {
      const id = await submitExport(gw, agent);
      const bob = await click({ as: 'bob', actionId: id });
      assert.match(
        cardText(bob.card),
        /Vote by bob not counted: you requested this action, own its agent/,
      );
      assert.ok(cardText(bob.card).includes('prod-large-export: 0 of 2'));
      const mallory = await click({ as: 'mallory', actionId: id });
      assert.match(cardText(mallory.card), /not counted/);
      const record = await recordOf(id);
      assert.equal(record.status, 'pending');
      const votes = await gw.gateway.actions.votes(id);
      assert.deepEqual(
        votes.map((v) => [v.user, v.outcome, v.code, v.channel]),
        [
          ['bob', 'refused', 'self_approval_forbidden', 'teams'],
          ['mallory', 'refused', 'not_eligible', 'teams'],
        ],
      );
      const refused = (await auditEntries(gw, 'action.vote_refused')).filter(
        (e) => e.request_id === id,
      );
      assert.deepEqual(
        refused.map((e) => e.data.code),
        ['self_approval_forbidden', 'not_eligible'],
      );
    });

    test('concurrent clicks from different approvers: exactly one terminal transition', async () => {
      const res = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: {
          action: 'db.restore',
          resource: 'postgres://prod/customers',
          environment: 'production',
        },
      });
      assert.equal(res.body.status, 'pending');
      const id: string = res.body.id;
      const voters: Array<[string, 'countersign.approve' | 'countersign.deny']> = [
        ['alice', 'countersign.approve'],
        ['frank', 'countersign.deny'],
        ['gina', 'countersign.approve'],
        ['hank', 'countersign.approve'],
        ['ivan', 'countersign.deny'],
      ];
      const answers = await Promise.all(
        voters.map(([as, verb]) => click({ as, actionId: id, verb })),
      );
      const record = await recordOf(id);
      assert.ok(record.status === 'approved' || record.status === 'denied', record.status);
      const votes = await gw.gateway.actions.votes(id);
      const counted = votes.filter((v) => v.outcome === 'counted');
      assert.equal(counted.length, 1, 'one vote decided it');
      assert.deepEqual(
        votes.filter((v) => v.outcome === 'refused').map((v) => v.code),
        ['already_decided', 'already_decided', 'already_decided', 'already_decided'],
      );
      const terminal = [
        ...(await auditEntries(gw, 'action.approved')),
        ...(await auditEntries(gw, 'action.denied')),
      ].filter((e) => e.request_id === id);
      assert.equal(terminal.length, 1, 'one terminal transition');
      const grants = (await auditEntries(gw, 'grant.issued')).filter((e) => e.request_id === id);
      assert.equal(grants.length, record.status === 'approved' ? 1 : 0);
      assert.equal(
        answers.filter((a) => /not counted/.test(cardText(a.card))).length,
        4,
        'the four late clicks are told so',
      );
    });

    test('an escalation posts the card where the new reviewers are', async () => {
      const res = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: {
          action: 'db.restore',
          resource: 'postgres://prod/orders',
          environment: 'production',
        },
      });
      const id: string = res.body.id;
      await until(
        () => postsFor(id).some((p) => p.target === CHANNEL.dataOwners),
        10_000,
        'first card',
      );
      assert.ok(!postsFor(id).some((p) => p.target === CHANNEL.sre));
      // restore escalates to sre-oncall after 1 s: its channel and carol hear of it.
      await until(
        () =>
          postsFor(id).some((p) => p.target === CHANNEL.sre) &&
          postsFor(id).some((p) => p.target === AAD.carol),
        10_000,
        'the escalation',
      );
      const sre = postsFor(id).find((p) => p.target === CHANNEL.sre);
      assert.ok(cardText(sre?.card).includes('Escalated'));
      const { card } = await click({ as: 'carol', actionId: id });
      assert.ok(cardText(card).includes('Approved: db.restore'));
    });
  });
}

const adminPrincipal = {
  kind: 'user' as const,
  id: 'root',
  tokenId: 'test',
  groups: [],
  admin: true,
  auditor: true,
};
