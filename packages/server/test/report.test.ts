import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCountersignError } from '@countersign/core';
import { join } from 'node:path';
import {
  REDACTED,
  ReportRedactor,
  generateSoc2Report,
  renderSoc2Html,
  reportPeriod,
  resolveConfig,
} from '../src/index.js';
import { decisionDistribution } from '../src/report/time-to-decision.js';
import { escapeHtml, markup } from '../src/report/html/safe-html.js';
import { histogramSvg } from '../src/report/html/histogram-svg.js';
import { DIRECTORY, LARGE_EXPORT, POLICY, dialects, startGateway } from './harness.js';
import { ReportRepository } from '../src/storage/report-repository.js';

const MIN = 60_000;

describe('report units', () => {
  test('the period is whole UTC days, both ends included; bad dates are refused', () => {
    const p = reportPeriod('2025-01-01', '2025-01-31');
    assert.equal(p.start, Date.UTC(2025, 0, 1));
    assert.equal(p.end, Date.UTC(2025, 1, 1));
    for (const [from, to] of [
      ['2025-02-30', '2025-03-01'],
      ['2025-1-01', '2025-01-02'],
      ['2025-01-02', '2025-01-01'],
      ['yesterday', '2025-01-01'],
    ] as const) {
      assert.throws(
        () => reportPeriod(from, to),
        (e: unknown) => isCountersignError(e) && e.code === 'invalid_request',
      );
    }
  });

  test('buckets have exclusive upper bounds; percentiles are nearest-rank observations', () => {
    const d = decisionDistribution([
      30_000,
      MIN,
      5 * MIN - 1,
      5 * MIN,
      15 * MIN,
      60 * MIN,
      3 * 60 * MIN,
    ]);
    assert.deepEqual(
      d.buckets.map((b) => b.count),
      [1, 2, 1, 1, 2],
    );
    assert.equal(d.p50_ms, 5 * MIN); // rank ceil(0.5·7) = 4
    assert.equal(d.p90_ms, 3 * 60 * MIN); // rank ceil(0.9·7) = 7
    assert.equal(decisionDistribution([]).p50_ms, null);
  });

  test('redaction: nested paths, arrays, whole values, and paths into a scalar (fail closed)', () => {
    const r = new ReportRedactor([
      'params.password',
      'params.db.token',
      'params.users.secret',
      'params.note.inner',
      'justification',
    ]);
    const out = r.fields({
      resource: 'pg://x',
      params: {
        password: { old: 'old-pass-1', new: 'new-pass-2' },
        db: { token: 'tok-12345', host: 'h' },
        users: [{ secret: 'aaaa-1' }, { secret: 'bbbb-2', name: 'n' }],
        note: 'a string where an object was expected',
        rows: 5,
      },
      justification: 'because of ticket 991',
    });
    assert.deepEqual(out.params, {
      password: REDACTED,
      db: { token: REDACTED, host: 'h' },
      users: [{ secret: REDACTED }, { secret: REDACTED, name: 'n' }],
      note: REDACTED,
      rows: 5,
    });
    assert.equal(out.justification, REDACTED);
    assert.equal(out.resource, 'pg://x');
    assert.ok(out.secrets.includes('new-pass-2') && out.secrets.includes('because of ticket 991'));
  });

  test('a redacted value quoted elsewhere (a comment, another param) is scrubbed too', () => {
    const r = new ReportRedactor(['params.password']);
    const out = r.fields({
      resource: 'pg://x',
      params: { password: 'hunter2-xyz', sql: "ALTER USER a PASSWORD 'hunter2-xyz'" },
      justification: null,
    });
    assert.deepEqual(ReportRedactor.scrubJson(out.params, out.secrets), {
      password: REDACTED,
      sql: `ALTER USER a PASSWORD '${REDACTED}'`,
    });
    assert.equal(ReportRedactor.scrub('pw is hunter2-xyz', out.secrets), `pw is ${REDACTED}`);
    // true/false and values shorter than 4 characters are not scrubbed from free text.
    const short = r.fields({ resource: 'x', params: { password: 'ab' }, justification: null });
    assert.deepEqual(short.secrets, []);
    assert.deepEqual(short.params, { password: REDACTED });
  });

  test('markup escapes every interpolation unless it is markup itself', () => {
    const evil = `<script>alert("x")</script>' onload='x`;
    assert.equal(
      escapeHtml(evil),
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onload=&#39;x',
    );
    const out = markup`<td title="${evil}">${evil}${markup`<b>${evil}</b>`}${[evil, 1]}${null}</td>`;
    assert.ok(!out.value.includes('<script'));
    assert.ok(!out.value.includes(`'`));
    assert.ok(out.value.includes('<b>&lt;script&gt;'));
    assert.ok(out.value.includes('1</td>'));
  });

  test('the histogram is one self-contained SVG with a text alternative', () => {
    const { buckets } = decisionDistribution([1000, 2 * MIN]);
    const svg = histogramSvg(buckets, 1000, 2 * MIN).value;
    assert.match(svg, /^<svg class="chart" viewBox="0 0 640 280" role="img"/);
    assert.match(svg, /<desc id="ttd-desc">&lt; 1 min: 1, 1–5 min: 1, 5–15 min: 0/);
    assert.equal((svg.match(/<rect /g) ?? []).length, 5);
    assert.match(svg, />p50<\/text>/);
    assert.match(svg, />p90<\/text>/);
    assert.ok(!/href|<script|<image/.test(svg));
  });
});

for (const dialect of await dialects()) {
  describe(`the report over a real gateway (${dialect})`, () => {
    test('reads the period only, counts in SQL, and verifies the stored log', async () => {
      const gw = await startGateway({ dialect, policy: POLICY, directory: DIRECTORY });
      try {
        const agent = await gw.token('agent', 'exporter');
        const bob = await gw.token('user', 'bob');
        const sub = await gw.call('POST', '/v1/actions', {
          token: agent,
          body: LARGE_EXPORT,
        });
        assert.equal(sub.status, 201);
        const refused = await gw.call('POST', `/v1/actions/${sub.body.id}/votes`, {
          token: bob,
          body: { vote: 'approve' },
        });
        assert.equal(refused.body.code, 'self_approval_forbidden');
        const allowed = await gw.call('POST', '/v1/actions', {
          token: agent,
          body: { action: 'db.export', resource: 'pg://x', params: { rows: 5 } },
        });
        assert.equal(allowed.body.status, 'approved');
        const repo = new ReportRepository(gw.gateway.storage.db);
        const now = Date.now();
        const inside = { start: now - 60_000, end: now + 60_000 };
        const before = { start: now - 120_000, end: now - 60_000 };
        assert.deepEqual(
          (await repo.notAutoAllowedIn(inside)).map((r) => r.id),
          [sub.body.id],
        );
        assert.deepEqual(await repo.notAutoAllowedIn(before), []);
        // Auto-allowed requests are counted in SQL, never loaded one by one.
        assert.deepEqual(
          (await repo.requestCounts(inside)).sort((a, b) => a.decision.localeCompare(b.decision)),
          [
            {
              action: 'db.export',
              environment: 'default',
              decision: 'allow',
              status: 'approved',
              n: 1,
            },
            {
              action: 'db.export',
              environment: 'production',
              decision: 'require_approval',
              status: 'pending',
              n: 1,
            },
          ],
        );
        const [seen] = await repo.policyVersionsSeen(inside);
        assert.equal(seen?.requests, 2);
        assert.equal(seen?.version, gw.gateway.policy.current.version);
        const votes = await repo.votesOnRequestsCreatedIn(inside);
        assert.deepEqual(
          votes.map((v) => [v.user, v.outcome, v.code]),
          [['bob', 'refused', 'self_approval_forbidden']],
        );
        assert.equal((await repo.refusedVotesIn(inside)).length, 1);
        assert.equal((await repo.refusedVotesIn(before)).length, 0);
        const loads = await repo.auditEntriesOfType('policy.loaded', {
          start: 0,
          end: now + 60_000,
        });
        assert.equal(loads.length, 1);
        assert.equal(loads[0]?.data.version, gw.gateway.policy.current.version);

        // The whole report, as the CLI makes it, on this dialect.
        await gw.gateway.audit.checkpoint();
        const config = resolveConfig(
          {
            directory: DIRECTORY,
            policy: gw.policyFile,
            storage: { url: gw.databaseUrl },
            data_dir: join(gw.dir, 'data'),
          },
          gw.dir,
          {},
        );
        // Yesterday and today (UTC), so a run across midnight still covers the requests.
        const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
        const report = await generateSoc2Report(gw.gateway.storage, config, {
          period: reportPeriod(day(now - 86_400_000), day(now)),
          now,
          acceptGatewayKey: true,
        });
        assert.equal(report.source.store, dialect);
        assert.equal(report.privileged_actions.total, 2);
        assert.equal(report.privileged_actions.by_outcome.allowed_by_policy, 1);
        assert.equal(report.approvals.refused.self_approval_forbidden, 1);
        assert.equal(report.log_integrity.status, 'verified', report.log_integrity.detail);
        assert.equal(report.policy_changes.source, 'audit_log');
        assert.ok(renderSoc2Html(report).includes('VERIFIED'));
      } finally {
        await gw.close();
      }
    });
  });
}
