import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { DIRECTORY, dialects, indexedStore, startGateway, type TestGateway } from './harness.js';
import { STANDING_POLICY } from './standing-fixtures.js';

const EXPORT = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000 },
};
const RESTART = {
  action: 'k8s.rollout.restart',
  resource: 'k8s://prod/payments/deploy/api',
  environment: 'production',
  params: {},
};

type Body = Record<string, unknown>;

/** The grant's claims (its signature is checked elsewhere: grants.test.ts). */
function claimsOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

for (const dialect of await dialects()) {
  describe(`standing approvals (${dialect})`, () => {
    let gw: TestGateway;
    let clock = Date.parse('2026-03-01T09:00:00Z');
    const tokens = new Map<string, string>();
    const t = (id: string) => tokens.get(id)!;
    before(async () => {
      gw = await startGateway({ dialect, policy: STANDING_POLICY, now: () => clock });
      for (const u of DIRECTORY.users ?? []) tokens.set(u.id, await gw.token('user', u.id));
      for (const a of DIRECTORY.agents ?? []) tokens.set(a.id, await gw.token('agent', a.id));
    });
    after(() => gw.close());

    const submit = async (body: Body, agent = 'exporter') => {
      const res = await gw.call('POST', '/v1/actions', { token: t(agent), body });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body as {
        id: string;
        status: string;
        reason: string;
        standing_approval_id: string | null;
        grant: { token: string } | null;
      };
    };
    const vote = (id: string, user: string, body: Body) =>
      gw.call('POST', `/v1/actions/${id}/votes`, { token: t(user), body });
    const saCount = async () =>
      Number(
        (
          await gw.gateway.storage.db
            .selectFrom('standing_approvals')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const countedVotes = async (id: string) =>
      (
        await gw.gateway.storage.db
          .selectFrom('votes')
          .select('user_id')
          .where('action_id', '=', id)
          .where('outcome', '=', 'counted')
          .execute()
      ).length;
    const audited = async (type: string) =>
      (
        await (
          await indexedStore(gw)
        )
          .selectFrom('audit_entries')
          .select('entry')
          .where('type', '=', type)
          .orderBy('idx')
          .execute()
      ).map((r) => JSON.parse(r.entry) as { request_id?: string; data: Body; actor: Body });
    /** Approves a fresh request of `body` by `user`, asking for `standing`; the SA made. */
    const create = async (
      user: string,
      standing: Body,
      body: Body = EXPORT,
      agent = 'exporter',
    ) => {
      const req = await submit(body, agent);
      const res = await vote(req.id, user, { vote: 'approve', standing });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.standing_approval as {
        id: string;
        status: string;
        uses: number;
        max_uses: number;
        endorsers: Array<{ user: string }>;
      };
    };
    /** A refusal: problem+json with its code, audited as api.refused, nothing stored. */
    const refusedVote = async (
      user: string,
      body: Body,
      standing: Body,
      status: number,
      code: string,
      agent = 'exporter',
    ) => {
      const req = await submit(body, agent);
      const before = await saCount();
      const res = await vote(req.id, user, { vote: 'approve', standing });
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(res.body.code, code);
      assert.equal(await saCount(), before, 'no standing approval stored');
      assert.equal(await countedVotes(req.id), 0, 'no vote counted');
      const refusals = [
        ...(await audited('api.refused')).map((e) => e.data.code),
        ...(await audited('action.vote_refused')).map((e) => e.data.code),
      ];
      assert.ok(refusals.includes(code), `the refusal ${code} is audited`);
      return req;
    };

    test('digest scope: exactly N more uses of the same action, then people again', async () => {
      const sa = await create('alice', { uses: 2 });
      assert.equal(sa.status, 'active');
      assert.equal(sa.max_uses, 2);
      assert.deepEqual(
        sa.endorsers.map((e) => e.user),
        ['alice'],
      );
      const first = await submit(EXPORT);
      assert.equal(first.status, 'approved');
      assert.equal(first.standing_approval_id, sa.id);
      assert.match(first.reason, new RegExp(`standing approval ${sa.id} \\(alice\\)`));
      const claims = claimsOf(first.grant!.token);
      assert.equal(claims.basis, 'standing');
      assert.deepEqual(claims.approvers, ['alice']);
      const second = await submit(EXPORT);
      assert.equal(second.status, 'approved');
      const third = await submit(EXPORT);
      assert.equal(third.status, 'pending', 'the N+1th waits for people');
      assert.equal(third.standing_approval_id, null);

      const shown = await gw.call('GET', `/v1/standing-approvals/${sa.id}`, { token: t('frank') });
      assert.equal(shown.status, 200);
      assert.equal(shown.body.status, 'exhausted');
      assert.equal(shown.body.uses, 2);
      assert.deepEqual([...shown.body.uses_log].sort(), [first.id, second.id].sort());
      const used = (await audited('standing_approval.used')).filter(
        (e) => e.data.standing_approval === sa.id,
      );
      assert.deepEqual(
        used.map((e) => [e.request_id, e.data.use, e.data.max_uses]),
        [
          [first.id, 1, 2],
          [second.id, 2, 2],
        ],
        'each use is audited, naming the standing approval, use n of max',
      );
      const view = await gw.call('GET', `/v1/actions/${first.id}`, { token: t('alice') });
      assert.equal(view.body.standing_approval_id, sa.id);
    });

    test('digest scope never matches other params, another agent or environment', async () => {
      const sa = await create('alice', { uses: 10 });
      assert.equal((await submit({ ...EXPORT, params: { rows: 20001 } })).status, 'pending');
      assert.equal((await submit(EXPORT, 'deployer')).status, 'pending', 'other agent');
      assert.equal(
        (await submit({ ...EXPORT, environment: 'staging' })).status,
        'pending',
        'other environment',
      );
      assert.equal((await submit(EXPORT)).standing_approval_id, sa.id, 'the same one does');
      await gw.call('POST', `/v1/standing-approvals/${sa.id}/revoke`, { token: t('alice') });
    });

    test('condition scope: CEL over the request, on behalf of an endorser not covered, expiry', async () => {
      const sa = await create('alice', { when: 'params.rows <= 20000', for: '1h' });
      assert.equal(sa.status, 'active');
      const small = await submit({ ...EXPORT, params: { rows: 15000 } });
      assert.equal(small.status, 'approved');
      assert.equal(small.standing_approval_id, sa.id);
      assert.equal((await submit({ ...EXPORT, params: { rows: 30000 } })).status, 'pending');
      assert.equal((await submit({ ...EXPORT, params: {} })).status, 'pending', 'CEL error');
      const forAlice = await submit({ ...EXPORT, params: { rows: 10 }, on_behalf_of: 'alice' });
      assert.equal(forAlice.status, 'pending', 'an endorser is a party of this request');
      clock += 3_600_000;
      const late = await submit({ ...EXPORT, params: { rows: 10 } });
      assert.equal(late.status, 'pending', 'after expiry');
      const shown = await gw.call('GET', `/v1/standing-approvals/${sa.id}`, { token: t('alice') });
      assert.equal(shown.body.status, 'expired');
    });

    test('revocation: an unrelated user is refused; a reviewer revokes in one call', async () => {
      const sa = await create('alice', { uses: 5 });
      const byMallory = await gw.call('POST', `/v1/standing-approvals/${sa.id}/revoke`, {
        token: t('mallory'),
        body: {},
      });
      assert.equal(byMallory.status, 403);
      assert.equal(byMallory.body.code, 'forbidden');
      const byAgent = await gw.call('POST', `/v1/standing-approvals/${sa.id}/revoke`, {
        token: t('exporter'),
        body: {},
      });
      assert.equal(byAgent.status, 403);
      assert.equal((await submit(EXPORT)).status, 'approved', 'still active');
      const refusedBy = (await audited('api.refused'))
        .filter((e) => e.data.code === 'forbidden')
        .map((e) => e.actor.id);
      assert.ok(refusedBy.includes('mallory'), "mallory's refused revocation is audited");
      assert.ok(refusedBy.includes('exporter'), "the agent's refused revocation is audited");
      assert.equal(
        (await audited('standing_approval.revoked')).filter(
          (e) => e.data.standing_approval === sa.id,
        ).length,
        0,
        'nothing revoked',
      );
      const revoked = await gw.call('POST', `/v1/standing-approvals/${sa.id}/revoke`, {
        token: t('frank'),
        body: { reason: 'done with the migration' },
      });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      assert.equal(revoked.body.status, 'revoked');
      assert.equal(revoked.body.revoked_by, 'frank');
      assert.equal((await submit(EXPORT)).status, 'pending', 'after revocation');
      const again = await gw.call('POST', `/v1/standing-approvals/${sa.id}/revoke`, {
        token: t('alice'),
        body: {},
      });
      assert.equal(again.status, 200, 'idempotent');
      assert.equal(again.body.revoked_by, 'frank');
      const entries = (await audited('standing_approval.revoked')).filter(
        (e) => e.data.standing_approval === sa.id,
      );
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.data.by, 'frank');
    });

    test('an interested party never creates one; refusals store nothing', async () => {
      // bob owns the exporter agent
      await refusedVote('bob', EXPORT, { uses: 3 }, 403, 'self_approval_forbidden');
      await refusedVote(
        'alice',
        { ...EXPORT, risk: 'critical' },
        { uses: 3 },
        403,
        'standing_not_allowed',
      );
      await refusedVote('alice', EXPORT, { when: 'true', for: '9h' }, 403, 'standing_not_allowed');
      await refusedVote('alice', EXPORT, { uses: 51 }, 403, 'standing_not_allowed');
      await refusedVote(
        'alice',
        { action: 'db.restore', resource: 'pg://x', environment: 'production', params: {} },
        { uses: 1 },
        403,
        'standing_not_allowed',
      );
      await refusedVote(
        'alice',
        EXPORT,
        { when: 'parms.rows < 3', for: '1h' },
        400,
        'invalid_request',
      );
      await refusedVote(
        'alice',
        EXPORT,
        { when: 'params.rows < 3', for: '1h' },
        400,
        'invalid_request',
      );
      // A condition that reads neither resource nor params adds nothing to the pinned agent,
      // action and environment: it would be a blanket pass for the whole duration.
      for (const when of [
        'true',
        '1 == 1',
        'agent.id == "exporter"',
        'environment == "production" && action == "db.export"',
        '[1].all(params, true)', // a comprehension variable named params is not the params
        '[1].exists(resource, resource == 1)',
      ]) {
        await refusedVote('alice', EXPORT, { when, for: '1h' }, 400, 'invalid_request');
      }
      const req = await submit(EXPORT);
      const deny = await vote(req.id, 'alice', { vote: 'deny', standing: { uses: 1 } });
      assert.equal(deny.status, 400);
      assert.equal(deny.body.code, 'invalid_request');
      assert.equal(await countedVotes(req.id), 0);
    });

    test('a quorum of two: one person proposes, a second distinct human activates', async () => {
      const sa = await create('alice', { uses: 5 }, RESTART, 'deployer');
      assert.equal(sa.status, 'proposed');
      assert.equal(
        (await submit(RESTART, 'deployer')).status,
        'pending',
        'a proposal approves nothing',
      );
      const endorse = (user: string) =>
        gw.call('POST', `/v1/standing-approvals/${sa.id}/endorse`, { token: t(user), body: {} });
      const twice = await endorse('alice');
      assert.equal(twice.status, 409);
      assert.equal(twice.body.code, 'already_voted');
      const owner = await endorse('carol'); // owns the deployer agent
      assert.equal(owner.status, 403);
      assert.equal(owner.body.code, 'self_approval_forbidden');
      const outsider = await endorse('mallory');
      assert.equal(outsider.status, 403);
      assert.equal(outsider.body.code, 'not_eligible');
      const agent = await gw.call('POST', `/v1/standing-approvals/${sa.id}/endorse`, {
        token: t('deployer'),
        body: {},
      });
      assert.equal(agent.status, 403);
      assert.equal((await submit(RESTART, 'deployer')).status, 'pending', 'still one human');
      const second = await endorse('frank');
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.status, 'active');
      const used = await submit(RESTART, 'deployer');
      assert.equal(used.status, 'approved');
      assert.deepEqual(claimsOf(used.grant!.token).approvers, ['alice', 'frank']);
      const late = await endorse('bob');
      assert.equal(late.status, 409, 'already active');
      const types = new Set(
        (await audited('standing_approval.endorsed')).map((e) => e.data.standing_approval),
      );
      assert.ok(types.has(sa.id));
      await gw.call('POST', `/v1/standing-approvals/${sa.id}/revoke`, { token: t('root') });
    });

    test('concurrent submissions racing for the last use: exactly one gets it', async () => {
      const sa = await create('alice', { uses: 1 });
      const results = await Promise.all(Array.from({ length: 8 }, () => submit(EXPORT)));
      const approved = results.filter((r) => r.status === 'approved');
      assert.equal(approved.length, 1);
      assert.equal(approved[0]?.standing_approval_id, sa.id);
      assert.equal(results.filter((r) => r.status === 'pending').length, 7);
    });

    test('listing: people only; reviewers see their groups, admins everything', async () => {
      const sa = await create('alice', { uses: 3 });
      const agent = await gw.call('GET', '/v1/standing-approvals', { token: t('exporter') });
      assert.equal(agent.status, 403);
      assert.equal(agent.body.code, 'forbidden');
      const frank = await gw.call('GET', '/v1/standing-approvals', { token: t('frank') });
      assert.ok(frank.body.items.some((i: { id: string }) => i.id === sa.id));
      const carol = await gw.call('GET', '/v1/standing-approvals?status=all', {
        token: t('carol'),
      });
      assert.ok(!carol.body.items.some((i: { id: string }) => i.id === sa.id));
      const hidden = await gw.call('GET', `/v1/standing-approvals/${sa.id}`, { token: t('carol') });
      assert.equal(hidden.status, 404);
      const root = await gw.call('GET', '/v1/standing-approvals?status=all', { token: t('root') });
      assert.ok(root.body.items.some((i: { id: string }) => i.id === sa.id));
      await gw.call('POST', `/v1/standing-approvals/${sa.id}/revoke`, { token: t('root') });
    });

    test('a policy change to the rule revokes its standing approvals (by: policy)', async () => {
      const sa = await create('alice', { uses: 5 });
      writeFileSync(gw.policyFile, STANDING_POLICY.replace('max_uses: 50', 'max_uses: 40'));
      const reload = gw.gateway.policy.reload();
      assert.equal(reload.ok, true);
      // The reload listener sweeps asynchronously; the lazy check refuses meanwhile too.
      assert.equal((await submit(EXPORT)).status, 'pending');
      await gw.gateway.standing.sweep({ kind: 'system', id: 'test' });
      const shown = await gw.call('GET', `/v1/standing-approvals/${sa.id}`, { token: t('alice') });
      assert.equal(shown.body.status, 'revoked');
      assert.equal(shown.body.revoked_by, 'policy');
      assert.match(shown.body.revoke_reason, /rule exports changed/);
      writeFileSync(gw.policyFile, STANDING_POLICY);
      assert.equal(gw.gateway.policy.reload().ok, true);
    });
  });
}

for (const dialect of await dialects()) {
  test(`standing approvals: an endorser who left the directory revokes it at start (${dialect})`, async () => {
    const gw = await startGateway({ dialect, policy: STANDING_POLICY });
    const alice = await gw.token('user', 'alice');
    const exporter = await gw.token('agent', 'exporter');
    const req = await gw.call('POST', '/v1/actions', { token: exporter, body: EXPORT });
    const res = await gw.call('POST', `/v1/actions/${req.body.id}/votes`, {
      token: alice,
      body: { vote: 'approve', standing: { uses: 3 } },
    });
    const id = res.body.standing_approval.id as string;
    await gw.close({ keep: true });
    const directory = {
      ...DIRECTORY,
      users: (DIRECTORY.users ?? []).filter((u) => u.id !== 'alice'),
    };
    const next = await startGateway({
      dialect,
      policy: STANDING_POLICY,
      directory,
      reuse: { dir: gw.dir, databaseUrl: gw.databaseUrl },
    });
    try {
      const root = await next.token('user', 'root');
      const shown = await next.call('GET', `/v1/standing-approvals/${id}`, { token: root });
      assert.equal(shown.body.status, 'revoked');
      assert.equal(shown.body.revoked_by, 'directory');
      const again = await next.call('POST', '/v1/actions', {
        token: await next.token('agent', 'exporter'),
        body: EXPORT,
      });
      assert.equal(again.body.status, 'pending');
    } finally {
      await next.close();
    }
  });
}
