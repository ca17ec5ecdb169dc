import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { ActionRecord, StandingApproval } from '@countersign/core';
import {
  generateSoc2Report,
  recountFigures,
  renderSoc2Html,
  reportPeriod,
  resolveConfig,
} from '../src/index.js';
import { ReportRepository } from '../src/storage/report-repository.js';
import { Directory } from '../src/config/directory.js';
import { separationOfDuties } from '../src/report/separation-of-duties.js';
import { DIRECTORY, dialects, startGateway, type TestGateway } from './harness.js';
import { STANDING_POLICY } from './standing-fixtures.js';

const EXPORT = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 20000 },
};

for (const dialect of await dialects()) {
  describe(`SOC 2 report: standing approvals (${dialect})`, () => {
    let gw: TestGateway;
    const clock = Date.parse('2026-03-01T09:00:00Z');
    before(async () => {
      gw = await startGateway({ dialect, policy: STANDING_POLICY, now: () => clock });
    });
    after(() => gw.close());

    test('names who stood behind the requests a standing approval approved, and its uses', async () => {
      const alice = await gw.token('user', 'alice');
      const agent = await gw.token('agent', 'exporter');
      const submit = async () =>
        (await gw.call('POST', '/v1/actions', { token: agent, body: EXPORT })).body as {
          id: string;
          status: string;
          standing_approval_id: string | null;
        };
      const source = await submit();
      const voted = await gw.call('POST', `/v1/actions/${source.id}/votes`, {
        token: alice,
        body: { vote: 'approve', standing: { uses: 2 } },
      });
      assert.equal(voted.status, 200, JSON.stringify(voted.body));
      const sa = voted.body.standing_approval as { id: string };
      const used = [await submit(), await submit()];
      for (const u of used) assert.equal(u.standing_approval_id, sa.id);
      const waits = await submit();
      assert.equal(waits.status, 'pending', 'the third waits: two uses were given');

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
      const report = await generateSoc2Report(gw.gateway.storage, config, {
        period: reportPeriod('2026-03-01', '2026-03-01'),
        now: clock,
        acceptGatewayKey: true,
      });
      const section = report.standing_approvals;
      assert.equal(section.items.length, 1);
      const row = section.items[0];
      assert.equal(row.id, sa.id);
      assert.equal(row.status, 'exhausted');
      assert.deepEqual(
        row.endorsers.map((e) => e.user),
        ['alice'],
      );
      assert.deepEqual([...row.requests].sort(), used.map((u) => u.id).sort());
      assert.equal(row.uses, 2);
      assert.equal(section.requests_approved, 2);
      const rows = report.privileged_actions.approval_requests;
      for (const u of used) {
        const r = rows.find((x) => x.id === u.id);
        assert.equal(r?.standing_approval_id, sa.id, 'the request names its standing approval');
        assert.equal(r?.outcome, 'approved');
      }
      assert.deepEqual(report.approvals.interested_party_approvals, []);
      // Recounted from the log alone: one standing_approval.used entry per request it approved.
      const repo = new ReportRepository(gw.gateway.storage.db);
      const figures = await recountFigures(
        report,
        repo.auditEntryTexts(await repo.auditSize()),
        report.log_integrity.checkpoint?.size ?? 0,
      );
      assert.deepEqual(figures.mismatches, []);
      assert.deepEqual(
        figures.checked.find((c) => c.figure === 'requests approved by standing approvals'),
        { figure: 'requests approved by standing approvals', report: 2, log: 2 },
      );
      const html = renderSoc2Html(report);
      assert.match(html, /<h2[^>]*>Standing approvals/);
      assert.ok(html.includes(sa.id));
    });
  });
}

describe('SOC 2 report: separation of duties through a standing approval', () => {
  test('an endorser who is a party of a request the standing approval approved is listed', () => {
    const directory = new Directory({
      users: [{ id: 'alice', groups: ['data-owners'] }],
      agents: [{ id: 'exporter', owners: ['bob'] }],
      groups: [{ id: 'data-owners' }],
    });
    const at = Date.parse('2026-03-01T10:00:00Z');
    const request = {
      id: 'act_1',
      agent_id: 'exporter',
      on_behalf_of: 'alice',
      standing_approval_id: 'sa_1',
      decided_at: at,
      created_at: at,
    } as ActionRecord;
    const sa = {
      id: 'sa_1',
      endorsers: [{ user: 'alice', groups: ['data-owners'], channel: 'api', at: at - 1000 }],
    } as StandingApproval;
    const section = separationOfDuties({
      requests: [request],
      votes: [],
      refused: [],
      directory,
      standing: [sa],
    });
    assert.deepEqual(section.interested_party_approvals, [
      { request_id: 'act_1', user: 'alice', at: new Date(at).toISOString() },
    ]);
    assert.deepEqual(
      separationOfDuties({ requests: [request], votes: [], refused: [], directory })
        .interested_party_approvals,
      [],
      'without the standing approval nobody approved it',
    );
  });
});
