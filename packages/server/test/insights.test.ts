import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ConfigFile } from '../src/index.js';
import { generateSoc2Report, renderSoc2Html, reportPeriod, resolveConfig } from '../src/index.js';
import { reviewerLoad } from '../src/report/reviewer-load.js';
import { InsightsRepository } from '../src/storage/insights-repository.js';
import { dialects, indexedStore, startGateway, type TestGateway } from './harness.js';
import { startReceiver, type Receiver } from './webhooks-receiver.js';

const SECRET = 'whsec_insights_test_secret_0123456789';
const SEC = 1000;
const MIN = 60 * SEC;
/** The injected clock starts here: 2026-01-15 09:00 UTC. */
const T0 = Date.UTC(2026, 0, 15, 9);
const DAY = '2026-01-15';

const POLICY = `version: 1
defaults:
  decision: deny
  approval: { timeout: 1h, on_timeout: deny }
rules:
  - id: deploy
    match: { action: deploy }
    require_approval: { from: [ops], quorum: 1 }
  - id: grant
    match: { action: iam.grant }
    require_approval: { from: [sec], quorum: 1 }
`;

const DIRECTORY: ConfigFile['directory'] = {
  groups: [{ id: 'ops' }, { id: 'sec' }],
  users: [
    { id: 'ann', groups: ['ops', 'sec'] },
    { id: 'ben', groups: ['ops'] },
    { id: 'root', groups: [], admin: true },
    { id: 'audrey', groups: [], auditor: true },
    { id: 'mallory', groups: [] },
    { id: 'olga', groups: [] },
  ],
  agents: [{ id: 'bot', owners: ['olga'] }],
};

describe('reviewer load units', () => {
  test('a fast approval is at most the threshold after notification, else after creation', () => {
    const vote = (
      at: number,
      notified_at: number | null,
      vote: 'approve' | 'deny' = 'approve',
    ) => ({
      action_id: `act_${at}`,
      user: 'ann',
      vote,
      channel: 'api',
      at,
      created_at: 0,
      notified_at,
      rules: ['r'],
    });
    const s = reviewerLoad({
      window: { start: 0, end: 2 * 86_400_000 },
      // 10 s after notification (fast, inclusive), 10.001 s (not), 3 s after creation with no
      // notification (fast), a denial 1 s after notification (a denial is never "fast").
      votes: [
        vote(20 * SEC, 10 * SEC),
        vote(20 * SEC + 1, 10 * SEC),
        vote(3 * SEC, null),
        vote(SEC, 0, 'deny'),
      ],
      requests: [{ created_at: 0, rules: ['r'] }],
      fastApprovalMs: 10 * SEC,
    });
    assert.equal(s.days, 2);
    assert.equal(s.fast_approvals, 2);
    const [ann] = s.reviewers;
    assert.equal(ann?.approval_rate, 0.75);
    assert.equal(ann?.requests_per_day, 2);
    assert.deepEqual([ann?.p50_ms, ann?.p90_ms], [3 * SEC, 10 * SEC + 1]);
    assert.deepEqual(ann?.busiest_day, { date: '1970-01-01', requests: 4 });
    assert.equal(s.rules[0]?.requests, 1);
  });
});

for (const dialect of await dialects()) {
  describe(`reviewer load over a real gateway (${dialect})`, () => {
    let gw: TestGateway;
    let receiver: Receiver;
    let t = T0;
    let bot: string;

    /** Submits a request at the clock's time and waits for its notification (or its failure). */
    async function submit(action: string, delivered: boolean): Promise<string> {
      const res = await gw.call('POST', '/v1/actions', {
        token: bot,
        body: { action, resource: 'svc://x', environment: 'production' },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const id = res.body.id as string;
      for (let i = 0; i < 250; i++) {
        const row = await gw.gateway.storage.db
          .selectFrom('outbox')
          .select(['delivered_at', 'attempts'])
          .where('action_id', '=', id)
          .executeTakeFirst();
        if (row && (delivered ? row.delivered_at !== null : Number(row.attempts) > 0)) return id;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no delivery attempt for ${id}`);
    }

    async function vote(user: string, id: string, choice: 'approve' | 'deny') {
      const res = await gw.call('POST', `/v1/actions/${id}/votes`, {
        token: await gw.token('user', user),
        body: { vote: choice },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }

    before(async () => {
      // iam.grant notifications fail: those requests are timed from their creation.
      receiver = await startReceiver((_n, req) => (req.body.includes('iam.grant') ? 503 : 200));
      gw = await startGateway({
        dialect,
        policy: POLICY,
        directory: DIRECTORY,
        tickMs: 20,
        now: () => t,
        webhooks: {
          endpoints: [{ name: 'ops', url: `${receiver.url}/ops`, secret: SECRET }],
          backoff: { initial_ms: 3_600_000, max_ms: 3_600_000 },
        },
      });
      bot = await gw.token('agent', 'bot');
      // A: approved 2 s after its notification (fast). B: 10 minutes after (not fast).
      const a = await submit('deploy', true);
      t += 2 * SEC;
      await vote('ann', a, 'approve');
      t += MIN;
      const b = await submit('deploy', true);
      t += 10 * MIN;
      await vote('ann', b, 'approve');
      // C: denied 30 s after its notification.
      const c = await submit('deploy', true);
      t += 30 * SEC;
      await vote('ben', c, 'deny');
      // D: never notified (503), approved 5 s after creation (fast).
      const d = await submit('iam.grant', false);
      t += 5 * SEC;
      await vote('ann', d, 'approve');
    });
    after(async () => {
      await gw.close();
      await receiver.close();
    });

    test('the query times each counted vote from its first delivered notification', async () => {
      const votes = await new InsightsRepository(gw.gateway.storage.db).votesIn({
        start: T0,
        end: T0 + 86_400_000,
      });
      assert.deepEqual(
        votes.map((v) => [v.user, v.vote, v.at - (v.notified_at ?? v.created_at), v.rules]),
        [
          ['ann', 'approve', 2 * SEC, ['deploy']],
          ['ann', 'approve', 10 * MIN, ['deploy']],
          ['ben', 'deny', 30 * SEC, ['deploy']],
          ['ann', 'approve', 5 * SEC, ['grant']],
        ],
      );
      assert.equal(votes[3]?.notified_at, null);
    });

    test('GET /v1/insights: exact rates, medians and fast approvals, per reviewer and rule', async () => {
      const res = await gw.call('GET', `/v1/insights?from=${DAY}&to=${DAY}`, {
        token: await gw.token('user', 'audrey'),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.fast_approval_threshold_ms, 10 * SEC);
      assert.equal(res.body.votes, 4);
      assert.equal(res.body.fast_approvals, 2);
      assert.deepEqual(res.body.reviewers, [
        {
          user: 'ann',
          approvals: 3,
          denials: 0,
          approval_rate: 1,
          p50_ms: 5 * SEC,
          p90_ms: 10 * MIN,
          fast_approvals: 2,
          requests: 3,
          requests_per_day: 3,
          busiest_day: { date: DAY, requests: 3 },
        },
        {
          user: 'ben',
          approvals: 0,
          denials: 1,
          approval_rate: 0,
          p50_ms: 30 * SEC,
          p90_ms: 30 * SEC,
          fast_approvals: 0,
          requests: 1,
          requests_per_day: 1,
          busiest_day: { date: DAY, requests: 1 },
        },
      ]);
      const deploy = res.body.rules.find((r: { rule: string }) => r.rule === 'deploy');
      assert.equal(deploy.approval_rate, 2 / 3);
      assert.deepEqual(
        [deploy.p50_ms, deploy.p90_ms, deploy.fast_approvals, deploy.requests],
        [30 * SEC, 10 * MIN, 1, 3],
      );
      const grant = res.body.rules.find((r: { rule: string }) => r.rule === 'grant');
      assert.deepEqual([grant.approvals, grant.fast_approvals, grant.p50_ms], [1, 1, 5 * SEC]);
      // Another day holds none of it.
      const empty = await gw.call('GET', '/v1/insights?from=2026-01-16&to=2026-01-16', {
        token: await gw.token('user', 'root'),
      });
      assert.equal(empty.status, 200);
      assert.deepEqual([empty.body.votes, empty.body.reviewers], [0, []]);
    });

    test('GET /v1/insights refuses reviewers, agents and anonymous callers, audited', async () => {
      for (const [token, status] of [
        [await gw.token('user', 'mallory'), 403],
        [await gw.token('user', 'ann'), 403],
        [bot, 403],
        [undefined, 401],
      ] as const) {
        const res = await gw.call('GET', `/v1/insights?from=${DAY}&to=${DAY}`, { token });
        assert.equal(res.status, status);
        assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
      }
      const refused = await (
        await indexedStore(gw)
      )
        .selectFrom('audit_entries')
        .select('entry')
        .where('type', '=', 'api.refused')
        .execute();
      const onInsights = refused
        .map((r) => JSON.parse(r.entry) as { actor: { id: string }; data: { route?: string } })
        .filter((e) => String(e.data.route ?? '').includes('/v1/insights'));
      assert.ok(
        onInsights.some((e) => e.actor.id === 'mallory'),
        JSON.stringify(onInsights),
      );
      // Malformed and oversize periods are 400s.
      const audrey = await gw.token('user', 'audrey');
      for (const q of [
        'from=2026-02-30&to=2026-03-01',
        'from=2026-01-02&to=2026-01-01',
        'from=2024-01-01&to=2026-01-01',
        'from=x',
      ]) {
        const res = await gw.call('GET', `/v1/insights?${q}`, { token: audrey });
        assert.equal(res.status, 400, q);
        assert.equal(res.body.code, 'invalid_request', q);
      }
    });

    test('Prometheus: countersign_vote_seconds and countersign_fast_approvals_total, no user label', async () => {
      let text = '';
      for (let i = 0; i < 100; i++) {
        text = await (await fetch(`${gw.url}/metrics`)).text();
        if (text.includes('countersign_vote_seconds_count{channel="api",outcome="deny"}')) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(text, /^countersign_fast_approvals_total\{channel="api"\} 2$/m);
      assert.match(text, /^countersign_vote_seconds_count\{channel="api",outcome="approve"\} 3$/m);
      assert.match(
        text,
        /^countersign_vote_seconds_bucket\{le="10",channel="api",outcome="approve"\} 2$/m,
      );
      assert.doesNotMatch(text, /countersign_vote_seconds[^\n]*user=/);
    });

    test('the SOC 2 report has the section, in JSON and HTML, with the threshold stated', async () => {
      await gw.gateway.audit.checkpoint();
      const config = resolveConfig(
        {
          directory: DIRECTORY,
          policy: gw.policyFile,
          storage: { url: gw.databaseUrl },
          data_dir: join(gw.dir, 'data'),
          insights: { fast_approval_seconds: 5 },
        },
        gw.dir,
        {},
      );
      const report = await generateSoc2Report(gw.gateway.storage, config, {
        period: reportPeriod(DAY, DAY),
        now: t,
      });
      const s = report.reviewer_load;
      assert.equal(s.title, 'Reviewer load and rubber-stamp indicators');
      assert.equal(s.fast_approval_threshold_ms, 5 * SEC);
      // At 5 s, A (2 s) and D (5 s, inclusive) are still fast.
      assert.deepEqual(
        s.reviewers.map((r) => [r.user, r.fast_approvals]),
        [
          ['ann', 2],
          ['ben', 0],
        ],
      );
      const html = renderSoc2Html(report);
      assert.match(html, /<h2 id="reviewer-load">Reviewer load and rubber-stamp indicators<\/h2>/);
      assert.match(html, /at most 5 s after the request/);
    });
  });
}
