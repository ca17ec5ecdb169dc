import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { apiBatchVoteEvidence, apiVoteEvidence, isCountersignError } from '@countersign/core';
import { resolveConfig } from '../src/index.js';
import {
  DIRECTORY,
  POLICY,
  dialects,
  indexedStore,
  startGateway,
  type TestGateway,
} from './harness.js';
import { asSession, signIn } from './web-harness.js';

/**
 * Issue 16, batch decisions, from the attacker's side: through the real HTTP API, on SQLite
 * and PostgreSQL. A batch decides every listed item or none, never an item the reviewer did
 * not see; every refusal is problem+json with a stable code, audited, and changes nothing.
 */
const BATCH_POLICY = `${POLICY}  - id: reports
    match: { action: report.send }
    require_approval: { from: [data-owners] }
  - id: big-reports
    match: { action: report.bulk }
    require_approval: { from: [data-owners], quorum: 2 }
  - id: secrets-read
    match: { action: secrets.read }
    require_approval: { from: [security] }
    step_up: web
  - id: sre-reports
    match: { action: report.sre }
    require_approval: { from: [sre-oncall] }
`;
const MIN = 60_000;

interface Item {
  id: string;
  digest: string;
}

for (const dialect of await dialects()) {
  describe(`batch decisions (${dialect})`, () => {
    let gw: TestGateway;
    let clock = Date.UTC(2026, 5, 1, 9);
    const tokens = new Map<string, string>();
    const t = (id: string) => {
      const token = tokens.get(id);
      assert.ok(token, id);
      return token;
    };
    before(async () => {
      gw = await startGateway({
        dialect,
        policy: BATCH_POLICY,
        now: () => clock,
        batches: { window: '10m' },
      });
      for (const id of ['alice', 'frank', 'bob', 'erin', 'carol', 'mallory', 'root']) {
        tokens.set(id, await gw.token('user', id));
      }
      for (const id of ['exporter', 'deployer']) tokens.set(id, await gw.token('agent', id));
    });
    after(() => gw.close());

    /** Submits `n` alike requests (one environment per test keeps tests apart). */
    const submit = async (
      env: string,
      n: number,
      over: Record<string, unknown> = {},
      agent = 'exporter',
    ): Promise<Item[]> => {
      const out: Item[] = [];
      for (let i = 0; i < n; i++) {
        const res = await gw.call('POST', '/v1/actions', {
          token: t(agent),
          body: {
            action: 'report.send',
            resource: `mail://reports/${env}/${out.length}`,
            environment: env,
            params: { to: `team-${i}@example.com`, rows: 10 * i },
            ...over,
          },
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
        assert.equal(res.body.status, 'pending');
        out.push({ id: res.body.id as string, digest: res.body.digest as string });
      }
      return out;
    };
    const batchVote = (user: string, items: Item[], vote = 'approve', extra = {}) =>
      gw.call('POST', '/v1/batches/votes', {
        token: t(user),
        body: { vote, items, ...extra },
      });
    const batches = async (user: string, env: string) => {
      const res = await gw.call('GET', '/v1/batches', { token: t(user) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return (res.body.items as Array<{ key: string; environment: string; items: Item[] }>).filter(
        (b) => b.environment === env,
      );
    };
    /** Each item's status and its votes (counted and refused), from the store. */
    const state = async (items: Item[]) =>
      Promise.all(
        items.map(async ({ id }) => {
          const row = await gw.gateway.storage.db
            .selectFrom('actions')
            .select(['status', 'grant_jti'])
            .where('id', '=', id)
            .executeTakeFirstOrThrow();
          const votes = await gw.gateway.storage.db
            .selectFrom('votes')
            .select(['user_id', 'outcome', 'code'])
            .where('action_id', '=', id)
            .orderBy('at')
            .execute();
          return {
            status: row.status,
            jti: row.grant_jti,
            votes: votes.map((v) => `${v.user_id}:${v.outcome}${v.code ? `:${v.code}` : ''}`),
          };
        }),
      );
    const entries = async (type: string) =>
      (
        await (
          await indexedStore(gw)
        )
          .selectFrom('audit_entries')
          .select('entry')
          .where('type', '=', type)
          .execute()
      ).map(
        (r) =>
          JSON.parse(r.entry) as {
            actor: { id: string };
            request_id?: string;
            data: Record<string, unknown>;
          },
      );
    /** The batch_refused entries that name any of these items. */
    const refusedEntries = async (items: Item[]) =>
      (await entries('action.batch_refused')).filter((e) =>
        (e.data.items as Item[]).some((i) => items.some((x) => x.id === i.id)),
      );
    /** Ids in the order a group lists them: by creation time, then id (one clock tick here). */
    const ids = (items: Item[]) => items.map((i) => i.id).sort();
    const untouched = async (items: Item[]) =>
      assert.deepEqual(
        await state(items),
        items.map(() => ({ status: 'pending', jti: null, votes: [] })),
      );

    /** A refused batch: 409 batch_changed naming exactly `named`, audited once, nothing changed. */
    const assertRefused = async (
      res: Awaited<ReturnType<typeof batchVote>>,
      voter: string,
      items: Item[],
      named: Array<{ id: string; code: string; status: string | null }>,
    ) => {
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(res.body.code, 'batch_changed');
      assert.deepEqual(res.body.items, named);
      // One entry for this voter and exactly this list.
      const audited = (await refusedEntries(items)).filter(
        (e) =>
          e.actor.id === voter &&
          (e.data.items as Item[]).map((i) => i.id).join() === items.map((i) => i.id).join(),
      );
      assert.equal(audited.length, 1);
      assert.deepEqual(audited[0].data.refused, named);
      assert.deepEqual(
        audited[0].data.items,
        items.map((i) => ({ id: i.id, digest: i.digest })),
      );
      // Not twice: the API's refusal recorder leaves it to the batch entry.
      const api = (await entries('api.refused')).filter(
        (e) => e.data.route === '/v1/batches/votes' && e.data.code === 'batch_changed',
      );
      assert.equal(api.length, 0);
    };

    test('approve: each item gets its own counted vote, grant and audit entries, plus the batch entry', async () => {
      const items = await submit('ok', 3);
      const res = await batchVote('alice', items, 'approve', { comment: 'weekly reports' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        res.body.items.map((v: { id: string; status: string }) => [v.id, v.status]),
        items.map((i) => [i.id, 'approved']),
      );
      const after = await state(items);
      for (const s of after) assert.deepEqual(s.votes, ['alice:counted']);
      assert.equal(new Set(after.map((s) => s.jti)).size, 3, 'a distinct grant per item');
      for (const type of ['action.vote_counted', 'action.approved', 'grant.issued']) {
        const mine = (await entries(type)).filter((e) => items.some((i) => i.id === e.request_id));
        assert.equal(mine.length, 3, type);
      }
      const voted = (await entries('action.batch_voted')).filter((e) =>
        (e.data.items as Item[]).some((i) => i.id === items[0].id),
      );
      assert.equal(voted.length, 1);
      assert.equal(voted[0].actor.id, 'alice');
      assert.deepEqual(voted[0].data.items, items);
      assert.equal(voted[0].data.vote, 'approve');
      assert.equal(voted[0].data.channel, 'api');
      // The agent's grant binds its own request's digest.
      const read = await gw.call('GET', `/v1/actions/${items[1].id}`, { token: t('exporter') });
      assert.equal(read.body.grant.jti, after[1].jti);
    });

    test('deny: every item is denied, each by its own vote', async () => {
      const items = await submit('deny', 2);
      const res = await batchVote('frank', items, 'deny', { comment: 'not this week' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(
        (await state(items)).map((s) => [s.status, s.votes]),
        [
          ['denied', ['frank:counted']],
          ['denied', ['frank:counted']],
        ],
      );
      assert.equal(
        (await entries('action.denied')).filter((e) => items.some((i) => i.id === e.request_id))
          .length,
        2,
      );
    });

    test('through the API every vote of a batch carries the batch evidence, the batch entry too', async () => {
      const items = await submit('evidence', 2);
      const res = await batchVote('alice', items, 'approve', { comment: 'weekly' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      // The hash of the batch's canonical JSON as sent ({items, vote, comment}, docs/api.md),
      // not a single vote's: the votes of one batch can be told apart from single votes.
      const expected = apiBatchVoteEvidence({ items, vote: 'approve', comment: 'weekly' });
      assert.notEqual(
        expected,
        apiVoteEvidence({ action_id: items[0].id, vote: 'approve', comment: 'weekly' }),
      );
      const rows = await gw.gateway.storage.db
        .selectFrom('votes')
        .select('evidence')
        .where(
          'action_id',
          'in',
          items.map((i) => i.id),
        )
        .execute();
      assert.deepEqual(
        rows.map((r) => r.evidence),
        [expected, expected],
      );
      const voted = (await entries('action.batch_voted')).filter((e) =>
        (e.data.items as Item[]).some((i) => i.id === items[0].id),
      );
      assert.deepEqual(
        voted.map((e) => e.data.evidence),
        [expected],
      );
    });

    test('a quorum of two: the batch is one approval per item; the items stay pending', async () => {
      const items = await submit('quorum', 2, { action: 'report.bulk' });
      const first = await batchVote('alice', items);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.deepEqual(
        first.body.items.map((v: { status: string }) => v.status),
        ['pending', 'pending'],
      );
      for (const v of first.body.items) assert.equal(v.progress.clauses[0].approvals, 1);
      // alice may not vote twice: the batch leaves her list, and a second batch is refused.
      assert.deepEqual(await batches('alice', 'quorum'), []);
      await assertRefused(
        await batchVote('alice', items),
        'alice',
        items,
        items.map((i) => ({ id: i.id, code: 'already_voted', status: 'pending' })),
      );
      const second = await batchVote('frank', items);
      assert.deepEqual(
        second.body.items.map((v: { status: string }) => v.status),
        ['approved', 'approved'],
      );
      assert.deepEqual(
        (await state(items)).map((s) => s.votes),
        [
          ['alice:counted', 'frank:counted'],
          ['alice:counted', 'frank:counted'],
        ],
      );
    });

    test('an item the voter may not review, slipped into the list: the whole batch is refused', async () => {
      const items = await submit('slip', 2);
      // sre-reports: only sre-oncall reviews it; alice is a data owner.
      const [foreign] = await submit('slip', 1, { action: 'report.sre' });
      const all = [...items, foreign];
      await assertRefused(await batchVote('alice', all), 'alice', all, [
        { id: foreign.id, code: 'not_eligible', status: null },
      ]);
      await untouched(all);
      // Someone in no reviewing group at all: every item named, nothing recorded.
      await assertRefused(
        await batchVote('mallory', items),
        'mallory',
        items,
        items.map((i) => ({ id: i.id, code: 'not_eligible', status: null })),
      );
      await untouched(items);
    });

    test('an item with another digest, or not alike, or unknown: refused as a whole', async () => {
      const items = await submit('digest', 2);
      const [other] = await submit('digest', 1, { params: { to: 'elsewhere@example.com' } });
      const forged = [items[0], { id: items[1].id, digest: other.digest }];
      await assertRefused(await batchVote('alice', forged), 'alice', forged, [
        { id: items[1].id, code: 'digest_mismatch', status: 'pending' },
      ]);
      const [deployed] = await submit('digest', 1, {}, 'deployer'); // same rule, another agent
      const [env] = await submit('digest-2', 1); // another environment
      const [bulk] = await submit('digest', 1, { action: 'report.bulk' }); // other rule and action
      for (const odd of [deployed, env, bulk]) {
        const list = [...items, odd];
        await assertRefused(await batchVote('alice', list), 'alice', list, [
          { id: odd.id, code: 'not_alike', status: 'pending' },
        ]);
      }
      const ghost = [...items, { id: 'act_doesnotexist', digest: items[0].digest }];
      await assertRefused(await batchVote('alice', ghost), 'alice', ghost, [
        { id: 'act_doesnotexist', code: 'not_found', status: null },
      ]);
      await untouched([...items, other, deployed, env, bulk]);
    });

    test('an item decided meanwhile: none is decided, and the reviewer is told which', async () => {
      const items = await submit('changed', 3);
      const deny = await gw.call('POST', `/v1/actions/${items[1].id}/votes`, {
        token: t('frank'),
        body: { vote: 'deny' },
      });
      assert.equal(deny.status, 200);
      await assertRefused(await batchVote('alice', items), 'alice', items, [
        { id: items[1].id, code: 'already_decided', status: 'denied' },
      ]);
      const after = await state(items);
      assert.deepEqual(
        after.map((s) => [s.status, s.votes]),
        [
          ['pending', []],
          ['denied', ['frank:counted']],
          ['pending', []],
        ],
      );
    });

    test('the voter is on the requesting side of one item: self-approval, whole batch refused', async () => {
      const items = await submit('self', 2);
      const [mine] = await submit('self', 1, { on_behalf_of: 'alice' });
      const all = [...items, mine];
      await assertRefused(await batchVote('alice', all), 'alice', all, [
        { id: mine.id, code: 'self_approval_forbidden', status: 'pending' },
      ]);
      // bob owns the agent: every item is his agent's.
      await assertRefused(
        await batchVote('bob', items),
        'bob',
        items,
        items.map((i) => ({ id: i.id, code: 'self_approval_forbidden', status: 'pending' })),
      );
      await untouched(all);
    });

    test('step_up: web items through an API token: step_up_required; through the web inbox they count', async () => {
      const items = await submit('stepup', 2, { action: 'secrets.read' }, 'deployer');
      await assertRefused(
        await batchVote('erin', items),
        'erin',
        items,
        items.map((i) => ({ id: i.id, code: 'step_up_required', status: 'pending' })),
      );
      await untouched(items);
      const session = await signIn(gw, 'erin');
      const res = await asSession(gw, session, 'POST', '/v1/batches/votes', {
        body: { vote: 'approve', items },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const votes = await gw.gateway.storage.db
        .selectFrom('votes')
        .select(['channel'])
        .where(
          'action_id',
          'in',
          items.map((i) => i.id),
        )
        .execute();
      assert.deepEqual(
        votes.map((v) => v.channel),
        ['web', 'web'],
      );
    });

    test('malformed batches: 400 invalid_request, audited as api.refused, nothing recorded', async () => {
      const items = await submit('malformed', 2);
      const before = (await entries('api.refused')).length;
      const cases: Array<[string, Record<string, unknown>]> = [
        ['one item', { vote: 'approve', items: [items[0]] }],
        [
          '51 items',
          {
            vote: 'approve',
            items: Array.from({ length: 51 }, (_, i) => ({ id: `act_${i}`, digest: 'x' })),
          },
        ],
        ['a duplicate id', { vote: 'approve', items: [items[0], items[1], items[0]] }],
        [
          'the same id, two digests',
          { vote: 'approve', items: [items[0], { id: items[0].id, digest: items[1].digest }] },
        ],
        ['break-glass', { vote: 'approve', items, break_glass: true, comment: 'fire' }],
        ['an unknown field', { vote: 'approve', items, also: ['act_x'] }],
        ['no vote', { items }],
      ];
      for (const [name, body] of cases) {
        const res = await gw.call('POST', '/v1/batches/votes', { token: t('alice'), body });
        assert.equal(res.status, 400, name);
        assert.equal(res.body.code, 'invalid_request', name);
      }
      assert.equal((await entries('api.refused')).length, before + cases.length);
      // carol may break glass on privilege grants, never in a batch.
      const res = await batchVote('carol', items, 'approve', { break_glass: true, comment: 'x' });
      assert.equal(res.status, 400);
      assert.match(res.body.detail, /break-glass/);
      // An agent never votes, in a batch or not.
      const agent = await batchVote('exporter', items);
      assert.equal(agent.status, 403);
      assert.ok(
        (await entries('api.refused')).some(
          (e) => e.actor.id === 'exporter' && e.data.route === '/v1/batches/votes',
        ),
        "the agent's refused batch vote is audited",
      );
      await untouched(items);
      assert.deepEqual(await refusedEntries(items), []);
    });

    test('GET /v1/batches: alike groups with what tells each item apart, only what the caller may vote on', async () => {
      const items = await submit('list', 3);
      const [mine] = await submit('list', 1, { on_behalf_of: 'alice' });
      await submit('list', 2, {}, 'deployer'); // another agent: its own group
      const groups = await batches('alice', 'list');
      assert.equal(groups.length, 2);
      const exporter = groups.find((g) => g.items.some((i) => i.id === items[0].id));
      assert.ok(exporter);
      // Not the request made on alice's behalf: she may not vote on it.
      assert.deepEqual(
        exporter.items.map((i) => i.id),
        ids(items),
      );
      const res = await gw.call('GET', '/v1/batches', { token: t('alice') });
      const full = res.body.items.find((b: { key: string }) => b.key === exporter.key);
      assert.deepEqual(full.rules, ['reports']);
      assert.equal(full.agent_id, 'exporter');
      assert.equal(full.action, 'report.send');
      assert.deepEqual(full.common, { justification: null, on_behalf_of: null, risk: null });
      const second = full.items.find((i: Item) => i.id === items[1].id);
      assert.deepEqual(second.differs, {
        resource: 'mail://reports/list/1',
        'params.to': 'team-1@example.com',
        'params.rows': 10,
      });
      assert.equal(second.digest, items[1].digest);
      // frank sees the request made for alice too; bob (owner of exporter) sees none of them;
      // carol and mallory review nothing here.
      const franks = await batches('frank', 'list');
      assert.ok(franks.some((g) => g.items.some((i) => i.id === mine.id)));
      assert.deepEqual(
        (await batches('bob', 'list')).filter((g) =>
          g.items.some((i) => items.some((x) => x.id === i.id)),
        ),
        [],
      );
      assert.deepEqual(await batches('carol', 'list'), []);
      assert.deepEqual(await batches('mallory', 'list'), []);
      // An alike request arrives after the list was read: voting the listed group as shown
      // decides the listed items only; the newcomer, never shown, stays pending, unvoted.
      const [newcomer] = await submit('list', 1);
      const vote = await batchVote(
        'alice',
        exporter.items.map((i) => ({ id: i.id, digest: i.digest })),
      );
      assert.equal(vote.status, 200, JSON.stringify(vote.body));
      assert.equal(vote.body.items.length, 3);
      await untouched([newcomer]);
      assert.equal((await gw.call('GET', '/v1/batches', { token: t('exporter') })).status, 403);
    });

    test('the window: alike requests further apart than batches.window are separate groups, and not one batch', async () => {
      const early = await submit('window', 2);
      clock += 11 * MIN; // window is 10m
      const late = await submit('window', 2);
      const groups = await batches('alice', 'window');
      assert.deepEqual(
        groups.map((g) => g.items.map((i) => i.id)),
        [ids(early), ids(late)],
      );
      const mixed = [...early, late[0]];
      await assertRefused(await batchVote('alice', mixed), 'alice', mixed, [
        { id: late[0].id, code: 'not_alike', status: 'pending' },
      ]);
      // Expired items are no longer listed (the default timeout is 30m).
      clock += 25 * MIN;
      assert.deepEqual(
        (await batches('alice', 'window')).map((g) => g.items.map((i) => i.id)),
        [ids(late)],
      );
    });

    test('a batch racing a single deny on one of its items: all decided or none, 20 rounds', async () => {
      let batchWon = 0;
      let denyWon = 0;
      for (let round = 0; round < 20; round++) {
        const items = await submit(`race-${round}`, 5);
        const target = items[round % 5];
        const [batch, deny] = await Promise.all([
          batchVote('alice', items),
          gw.call('POST', `/v1/actions/${target.id}/votes`, {
            token: t('frank'),
            body: { vote: 'deny' },
          }),
        ]);
        const after = await state(items);
        if (batch.status === 200) {
          batchWon++;
          assert.equal(deny.status, 409);
          assert.equal(deny.body.code, 'already_decided');
          assert.deepEqual(
            after.map((s) => s.status),
            items.map(() => 'approved'),
          );
        } else {
          denyWon++;
          assert.equal(deny.status, 200, JSON.stringify(deny.body));
          assert.equal(batch.status, 409, JSON.stringify(batch.body));
          assert.deepEqual(batch.body.items, [
            { id: target.id, code: 'already_decided', status: 'denied' },
          ]);
          assert.deepEqual(
            after.map((s) => s.status),
            items.map((i) => (i === target ? 'denied' : 'pending')),
          );
          for (const s of after) assert.ok(!s.votes.includes('alice:counted'));
        }
      }
      assert.equal(batchWon + denyWon, 20);
    });
  });
}

test('batches.window defaults to 15m and accepts 1s to 24h', () => {
  const windowMs = (window?: string) =>
    resolveConfig(
      { directory: DIRECTORY, policy: 'policy.yaml', ...(window ? { batches: { window } } : {}) },
      '/tmp',
      {},
    ).batches?.windowMs;
  assert.equal(windowMs(), 15 * MIN);
  assert.equal(windowMs('1s'), 1000);
  assert.equal(windowMs('24h'), 86_400_000);
  for (const bad of ['0s', '25h', '15', 'soon']) {
    assert.throws(
      () => windowMs(bad),
      (e: unknown) => isCountersignError(e) && e.code === 'config_invalid',
      bad,
    );
  }
});
