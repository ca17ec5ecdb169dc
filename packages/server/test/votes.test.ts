import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECTORY, POLICY, dialects, startGateway, type TestGateway } from './harness.js';

const bigExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000 },
};
const grantRole = {
  action: 'iam.role.grant',
  resource: 'aws://iam/role/admin',
  params: { user: 'x' },
  justification: 'on-call needs it',
};

for (const dialect of await dialects()) {
  describe(`votes (${dialect})`, () => {
    let gw: TestGateway;
    const tokens = new Map<string, string>();
    const t = (id: string) => tokens.get(id)!;
    before(async () => {
      gw = await startGateway({ dialect });
      for (const u of DIRECTORY.users ?? []) tokens.set(u.id, await gw.token('user', u.id));
      for (const a of DIRECTORY.agents ?? []) tokens.set(a.id, await gw.token('agent', a.id));
    });
    after(() => gw.close());

    const submit = async (body: unknown, agent = 'exporter') => {
      const res = await gw.call('POST', '/v1/actions', { token: t(agent), body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as { id: string; status: string };
    };
    const vote = (id: string, user: string, body: Record<string, unknown>) =>
      gw.call('POST', `/v1/actions/${id}/votes`, { token: t(user), body });
    const refusedVotes = async (id: string) =>
      (
        await gw.gateway.storage.db
          .selectFrom('votes')
          .select(['user_id', 'code'])
          .where('action_id', '=', id)
          .where('outcome', '=', 'refused')
          .execute()
      ).map((r) => `${r.user_id}:${r.code}`);

    test('two distinct data owners approve; the agent learns who, with comments', async () => {
      const req = await submit(bigExport);
      const waiting = gw.call('GET', `/v1/actions/${req.id}/wait?timeout=10`, {
        token: t('exporter'),
      });
      const first = await vote(req.id, 'alice', { vote: 'approve', comment: 'fine for Q3' });
      assert.equal(first.status, 200);
      assert.equal(first.body.status, 'pending');
      assert.deepEqual(first.body.progress.clauses[0], {
        rule: 'prod-large-export',
        quorum: 2,
        approvals: 1,
        satisfied: false,
        missing: [],
      });
      const second = await vote(req.id, 'frank', { vote: 'approve' });
      assert.equal(second.body.status, 'approved');
      assert.match(second.body.reason, /approved by alice, frank/);
      const waited = await waiting;
      assert.equal(waited.body.status, 'approved');
      assert.deepEqual(
        waited.body.votes.map((v: { user: string; vote: string; channel: string }) => [
          v.user,
          v.vote,
          v.channel,
        ]),
        [
          ['alice', 'approve', 'api'],
          ['frank', 'approve', 'api'],
        ],
      );
      assert.match(waited.body.message, /approved.*alice \(approve\): fine for Q3/);
      // a reviewer never receives the grant, whatever it is
      const asReviewer = await gw.call('GET', `/v1/actions/${req.id}`, { token: t('alice') });
      assert.equal(asReviewer.body.grant, null);
    });

    test('a deny by an eligible reviewer ends the request, and the reason reaches the agent', async () => {
      const req = await submit(bigExport);
      const res = await vote(req.id, 'alice', {
        vote: 'deny',
        comment: 'PII export needs a DPA first',
      });
      assert.equal(res.body.status, 'denied');
      const read = await gw.call('GET', `/v1/actions/${req.id}`, { token: t('exporter') });
      assert.equal(read.body.reason, 'denied by alice: PII export needs a DPA first');
      assert.match(read.body.message, /was denied: denied by alice: PII export needs a DPA first/);
      assert.equal(read.body.grant, null);
    });

    test('nobody approves their own request: agent owner, on_behalf_of, and agents themselves', async () => {
      const req = await submit({ ...bigExport, on_behalf_of: 'alice' });
      const before = await gw.call('GET', `/v1/actions/${req.id}`, { token: t('root') });
      const owner = await vote(req.id, 'bob', { vote: 'approve' }); // bob owns `exporter`
      assert.equal(owner.status, 403);
      assert.equal(owner.body.code, 'self_approval_forbidden');
      const behalf = await vote(req.id, 'alice', { vote: 'approve' });
      assert.equal(behalf.body.code, 'self_approval_forbidden');
      const agent = await gw.call('POST', `/v1/actions/${req.id}/votes`, {
        token: t('exporter'),
        body: { vote: 'approve' },
      });
      assert.equal(agent.status, 403);
      assert.equal(agent.body.code, 'forbidden');
      const after = await gw.call('GET', `/v1/actions/${req.id}`, { token: t('root') });
      assert.equal(after.body.status, 'pending');
      assert.equal(after.body.updated_at, before.body.updated_at);
      assert.deepEqual(after.body.votes, []);
      assert.deepEqual(await refusedVotes(req.id), [
        'bob:self_approval_forbidden',
        'alice:self_approval_forbidden',
      ]);
    });

    test('outsiders, admins and double votes are refused and recorded', async () => {
      const req = await submit(bigExport);
      assert.equal((await vote(req.id, 'carol', { vote: 'approve' })).body.code, 'not_eligible');
      assert.equal((await vote(req.id, 'root', { vote: 'approve' })).body.code, 'not_eligible');
      assert.equal((await vote(req.id, 'alice', { vote: 'approve' })).status, 200);
      const twice = await vote(req.id, 'alice', { vote: 'approve' });
      assert.equal(twice.status, 409);
      assert.equal(twice.body.code, 'already_voted');
      const read = await gw.call('GET', `/v1/actions/${req.id}`, { token: t('root') });
      assert.equal(read.body.status, 'pending');
      assert.equal(read.body.votes.length, 1);
      assert.deepEqual(await refusedVotes(req.id), [
        'carol:not_eligible',
        'root:not_eligible',
        'alice:already_voted',
      ]);
    });

    test('votes after the end or after expiry change nothing', async () => {
      const req = await submit(bigExport);
      await vote(req.id, 'alice', { vote: 'deny' });
      const late = await vote(req.id, 'frank', { vote: 'approve' });
      assert.equal(late.status, 409);
      assert.equal(late.body.code, 'already_decided');

      const restart = await submit(
        { action: 'k8s.rollout.restart', resource: 'k8s://prod/api' },
        'deployer',
      );
      const waited = await gw.call('GET', `/v1/actions/${restart.id}/wait?timeout=10`, {
        token: t('deployer'),
      });
      assert.equal(waited.body.status, 'expired');
      const expired = await vote(restart.id, 'carol', { vote: 'approve' });
      assert.equal(expired.status, 409);
      assert.equal(expired.body.code, 'request_expired');
      const read = await gw.call('GET', `/v1/actions/${restart.id}`, { token: t('deployer') });
      assert.equal(read.body.status, 'expired');
      assert.equal(read.body.updated_at, waited.body.updated_at);
      assert.deepEqual(read.body.votes, []);
    });

    test('one person in two required groups cannot satisfy a two-person quorum alone', async () => {
      const req = await submit(grantRole, 'deployer');
      const erin = await vote(req.id, 'erin', { vote: 'approve' }); // security and platform
      assert.equal(erin.body.status, 'pending');
      assert.equal(erin.body.progress.clauses[0].approvals, 1);
      assert.equal(erin.body.progress.satisfied, false);
      const dave = await vote(req.id, 'dave', { vote: 'approve' }); // platform only
      assert.equal(dave.body.status, 'approved');
    });

    test('a missing required justification is refused at submit, with nothing stored', async () => {
      const before = await gw.count('actions');
      const res = await gw.call('POST', '/v1/actions', {
        token: t('deployer'),
        body: { ...grantRole, justification: '  ' },
      });
      assert.equal(res.status, 422);
      assert.equal(res.body.code, 'justification_required');
      assert.equal(await gw.count('actions'), before);
    });

    test('break-glass: only named users, only with a reason, flagged and listed', async () => {
      const owned = await submit(grantRole, 'deployer'); // carol owns deployer
      const own = await vote(owned.id, 'carol', {
        vote: 'approve',
        break_glass: true,
        comment: 'x',
      });
      assert.equal(
        own.body.code,
        'self_approval_forbidden',
        'break-glass never overrides separation of duties',
      );
      const req = await submit(grantRole, 'exporter');
      const noReason = await vote(req.id, 'carol', { vote: 'approve', break_glass: true });
      assert.equal(noReason.status, 400);
      const notNamed = await vote(req.id, 'alice', {
        vote: 'approve',
        break_glass: true,
        comment: 'urgent',
      });
      assert.equal(notNamed.body.code, 'not_eligible');
      const forced = await vote(req.id, 'carol', {
        vote: 'approve',
        break_glass: true,
        comment: 'prod is down',
      });
      assert.equal(forced.status, 200);
      assert.equal(forced.body.status, 'approved');
      assert.equal(forced.body.break_glass, true);
      assert.match(forced.body.reason, /break-glass approval by carol: prod is down/);
      const listed = await gw.call('GET', '/v1/actions?break_glass=true', { token: t('root') });
      assert.deepEqual(
        listed.body.items.map((i: { id: string }) => i.id),
        [req.id],
      );
    });

    test('escalation: after the delay the escalation group may vote', async () => {
      const req = await submit({ action: 'db.restore', resource: 'pg://prod', params: {} });
      const early = await vote(req.id, 'carol', { vote: 'approve' });
      assert.equal(early.body.code, 'not_eligible');
      const deadline = Date.now() + 10_000;
      let escalated: string[] = [];
      while (Date.now() < deadline && escalated.length === 0) {
        await new Promise((r) => setTimeout(r, 100));
        escalated = (await gw.call('GET', `/v1/actions/${req.id}`, { token: t('root') })).body
          .escalated_rules;
      }
      assert.deepEqual(escalated, ['restore']);
      const inbox = await gw.call('GET', '/v1/actions?status=pending', { token: t('carol') });
      assert.ok(inbox.body.items.some((i: { id: string }) => i.id === req.id));
      const late = await vote(req.id, 'carol', { vote: 'approve' });
      assert.equal(late.body.status, 'approved');
    });
  });
}

describe('concurrency', () => {
  const many = Array.from({ length: 50 }, (_, i) => `reviewer${i}`);
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      directory: {
        ...DIRECTORY,
        groups: [...(DIRECTORY.groups ?? []), { id: 'crowd' }],
        users: [...(DIRECTORY.users ?? []), ...many.map((id) => ({ id, groups: ['crowd'] }))],
      },
      policy: `${POLICY}  - id: crowd-approval
    match: { action: crowd.thing }
    require_approval: { from: [crowd], quorum: 3 }
`,
    });
  });
  after(() => gw.close());

  test('50 concurrent votes: one terminal transition, the quorum counted exactly', async () => {
    const agent = await gw.token('agent', 'exporter');
    const tokens = await Promise.all(many.map((u) => gw.token('user', u)));
    const req = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'crowd.thing', resource: 'x' },
    });
    const changes: string[] = [];
    gw.gateway.actions.subscribe(req.body.id, (r) => changes.push(`${r.status}@${r.updated_at}`));
    const results = await Promise.all(
      tokens.map((token) =>
        gw.call('POST', `/v1/actions/${req.body.id}/votes`, { token, body: { vote: 'approve' } }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 409);
    assert.equal(ok.length, 3);
    assert.equal(ok.filter((r) => r.body.status === 'approved').length, 1);
    assert.equal(refused.length, 47);
    assert.ok(refused.every((r) => r.body.code === 'already_decided'));
    const final = await gw.call('GET', `/v1/actions/${req.body.id}`, { token: agent });
    assert.equal(final.body.status, 'approved');
    assert.equal(final.body.votes.length, 3);
    const approvedEvents = new Set(changes.filter((c) => c.startsWith('approved')));
    assert.equal(approvedEvents.size, 1);
    const counted = await gw.gateway.storage.db
      .selectFrom('votes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('action_id', '=', req.body.id)
      .where('outcome', '=', 'counted')
      .executeTakeFirstOrThrow();
    assert.equal(Number(counted.n), 3);
  });
});
