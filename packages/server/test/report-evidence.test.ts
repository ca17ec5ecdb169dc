import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  formatCheckpoint,
  generateNoteKey,
  parseNoteSignerKey,
  signNote,
  type AuditEntry,
} from '@countersign/core';
import {
  ReportRepository,
  generateSoc2Report,
  recountFigures,
  renderSoc2Html,
  reportPeriod,
  resolveConfig,
  signReport,
  storedReportSigner,
  verifyReportSignature,
  type ConfigFile,
  type Soc2Report,
} from '../src/index.js';
import {
  DIRECTORY,
  LARGE_EXPORT,
  POLICY,
  dropPgDatabase,
  indexedStore,
  postgresAvailable,
  startGateway,
  type TestGateway,
} from './harness.js';

const H = 3_600_000;
const VOTED = 10 * 60_000;
/** The report's period is 2026-01-10 (UTC); the directory is first recorded the day before. */
const DAY_BEFORE = Date.UTC(2026, 0, 9, 12);
const IN_PERIOD = Date.UTC(2026, 0, 10, 9);

type Dir = NonNullable<ConfigFile['directory']>;
const withGina: Dir = {
  ...DIRECTORY,
  users: [
    ...(DIRECTORY?.users ?? []),
    { id: 'gina', email: 'gina@example.com', groups: ['data-owners'] },
  ],
};
const withGinaAdmin: Dir = {
  ...withGina,
  users: withGina.users?.map((u) => (u.id === 'gina' ? { ...u, admin: true } : u)),
  agents: [
    { id: 'exporter', owners: ['bob', 'gina'] },
    { id: 'deployer', owners: ['carol'] },
  ],
};

async function directoryEntries(gw: TestGateway): Promise<AuditEntry[]> {
  const db = await indexedStore(gw);
  const rows = await db
    .selectFrom('audit_entries')
    .select('entry')
    .where('type', 'like', 'directory.%')
    .orderBy('idx')
    .execute();
  return rows.map((r) => JSON.parse(r.entry) as AuditEntry);
}

const summary = (entries: AuditEntry[]) =>
  entries.map((e) =>
    [e.type, ...Object.values(e.data).filter((v) => typeof v === 'string')].join(' '),
  );

async function report(
  gw: TestGateway,
  now: number,
  period = reportPeriod('2026-01-10', '2026-01-10'),
) {
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
  return generateSoc2Report(gw.gateway.storage, config, { period, now, acceptGatewayKey: true });
}

describe('directory changes are audit evidence (sqlite)', () => {
  test('first start records a baseline; a config change across a restart is recorded once, one entry per change; membership during the period is replayed from it', async () => {
    let now = DAY_BEFORE;
    const clock = () => now;
    let gw = await startGateway({ dialect: 'sqlite', now: clock });
    const same = { dir: gw.dir, databaseUrl: gw.databaseUrl };
    try {
      assert.deepEqual(summary(await directoryEntries(gw)), ['directory.baseline']);
      const baseline = (await directoryEntries(gw))[0];
      assert.deepEqual(
        (baseline?.data.directory as { users: Record<string, { groups: string[] }> }).users.alice,
        { groups: ['data-owners'], admin: false, auditor: false },
      );
      assert.ok(!JSON.stringify(baseline).includes('@example.com'), 'no e-mail in the log');
      await gw.close({ keep: true });

      // Unchanged configuration: nothing recorded.
      gw = await startGateway({ dialect: 'sqlite', now: clock, reuse: same });
      assert.equal((await directoryEntries(gw)).length, 1);
      await gw.close({ keep: true });

      // The configuration adds gina to data-owners (a reload is a restart): recorded once.
      now = IN_PERIOD;
      gw = await startGateway({ dialect: 'sqlite', now: clock, reuse: same, directory: withGina });
      assert.deepEqual(summary((await directoryEntries(gw)).slice(1)), [
        'directory.user_added gina',
        'directory.group_member_added data-owners gina',
      ]);
      // gina approves a request while she is a data owner, alice completes the quorum.
      const agent = await gw.token('agent', 'exporter');
      const sub = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: LARGE_EXPORT,
      });
      assert.equal(sub.status, 201);
      // Within the request's 30 minutes (the policy's timeout).
      now = IN_PERIOD + VOTED;
      for (const who of ['gina', 'alice']) {
        const r = await gw.call('POST', `/v1/actions/${sub.body.id}/votes`, {
          token: await gw.token('user', who),
          body: { vote: 'approve' },
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      await gw.close({ keep: true });

      // Then she is made admin and an owner of the exporter agent, then removed altogether.
      now = IN_PERIOD + 2 * H;
      gw = await startGateway({
        dialect: 'sqlite',
        now: clock,
        reuse: same,
        directory: withGinaAdmin,
      });
      await gw.close({ keep: true });
      now = IN_PERIOD + 3 * H;
      gw = await startGateway({ dialect: 'sqlite', now: clock, reuse: same });
      await gw.close({ keep: true });
      gw = await startGateway({ dialect: 'sqlite', now: clock, reuse: same });
      assert.deepEqual(summary((await directoryEntries(gw)).slice(3)), [
        'directory.admin_granted gina',
        'directory.agent_owner_added exporter gina',
        'directory.group_member_removed data-owners gina',
        'directory.admin_revoked gina',
        'directory.agent_owner_removed exporter gina',
        'directory.user_removed gina',
      ]);

      // The report: members at the period's start (no gina), each change, and gina eligible
      // when she approved, though she is in no group now.
      const r = await report(gw, IN_PERIOD + 4 * H);
      const g = r.approver_groups;
      assert.equal(g.source, 'audit_log');
      assert.equal(g.as_of, '2026-01-10T00:00:00.000Z');
      assert.equal(g.recorded_since, new Date(DAY_BEFORE).toISOString());
      assert.deepEqual(
        g.groups.find((x) => x.id === 'data-owners')?.members.map((m) => m.id),
        ['alice', 'bob', 'frank'],
      );
      assert.deepEqual(
        g.changes.map((c) => [c.at, c.type, c.user, c.group]),
        [
          [new Date(IN_PERIOD).toISOString(), 'directory.user_added', 'gina', null],
          [
            new Date(IN_PERIOD).toISOString(),
            'directory.group_member_added',
            'gina',
            'data-owners',
          ],
          [new Date(IN_PERIOD + 2 * H).toISOString(), 'directory.admin_granted', 'gina', null],
          [new Date(IN_PERIOD + 2 * H).toISOString(), 'directory.agent_owner_added', 'gina', null],
          [
            new Date(IN_PERIOD + 3 * H).toISOString(),
            'directory.group_member_removed',
            'gina',
            'data-owners',
          ],
          [new Date(IN_PERIOD + 3 * H).toISOString(), 'directory.admin_revoked', 'gina', null],
          [
            new Date(IN_PERIOD + 3 * H).toISOString(),
            'directory.agent_owner_removed',
            'gina',
            null,
          ],
          [new Date(IN_PERIOD + 3 * H).toISOString(), 'directory.user_removed', 'gina', null],
        ],
      );
      assert.deepEqual(g.eligibility.map((e) => [e.user, e.at, e.groups_then, e.eligible]).sort(), [
        ['alice', new Date(IN_PERIOD + VOTED).toISOString(), ['data-owners'], true],
        ['gina', new Date(IN_PERIOD + VOTED).toISOString(), ['data-owners'], true],
      ]);
      assert.equal(g.ineligible_approvals, 0);
      // The figures, recounted from the log's entries alone, agree with the report.
      const repo = new ReportRepository(gw.gateway.storage.db);
      const figures = await recountFigures(
        r,
        repo.auditEntryTexts(await repo.auditSize()),
        r.log_integrity.checkpoint?.size ?? 0,
      );
      assert.deepEqual(figures.mismatches, []);
      assert.deepEqual(
        figures.checked.map((c) => [c.figure, c.log]),
        [
          ['requests in the period', 1],
          ['refused self-approvals', 0],
          ['refused not-eligible votes', 0],
          ['approvals by alice', 1],
          ['denials by alice', 0],
          ['approvals by gina', 1],
          ['denials by gina', 0],
          ['requests approved by standing approvals', 0],
          ['directory changes in the period', 8],
        ],
      );
      const html = renderSoc2Html(r);
      assert.match(html, /Membership as recorded in the audit log at 2026-01-10 00:00:00Z/);
      assert.match(html, /removed from group/);
      // A period before anything was recorded: membership from today's configuration, labelled.
      const old = await report(gw, IN_PERIOD, reportPeriod('2025-01-01', '2025-01-01'));
      assert.equal(old.approver_groups.source, 'configuration');
    } finally {
      await gw.close();
    }
  });
});

describe('report signature (C2SP signed note over the report bytes)', () => {
  test('verifies; refuses tampered bytes, a wrong key, a swapped checkpoint and another report', async () => {
    const now = IN_PERIOD;
    const gw = await startGateway({ dialect: 'sqlite', now: () => now });
    try {
      const r = await report(gw, now);
      const signer = await storedReportSigner(gw.gateway.storage);
      assert.ok(signer);
      const key = gw.gateway.audit.verifierKey;
      const html = Buffer.from(renderSoc2Html(r), 'utf8');
      const json = Buffer.from(JSON.stringify(r, null, 2), 'utf8');
      const htmlSig = signReport(html, 'html', r, signer);
      const jsonSig = signReport(json, 'json', r, signer);
      assert.match(
        htmlSig,
        /^countersign\.report-signature\/v1\nreport countersign\.soc2-report\/1\nencoding html\nsha256 [0-9a-f]{64}\n/,
      );
      for (const [bytes, signature] of [
        [html, htmlSig],
        [json, jsonSig],
      ] as const) {
        const ok = verifyReportSignature({ bytes, signature, verifierKey: key });
        assert.ok(ok.ok, JSON.stringify(ok));
        assert.equal(ok.statement.checkpoint.note, r.log_integrity.checkpoint?.note);
      }
      const code = (bytes: Uint8Array, signature: string, verifierKey = key) => {
        const c = verifyReportSignature({ bytes, signature, verifierKey });
        return c.ok ? 'ok' : c.code;
      };
      // Tampered bytes: one character of the HTML.
      const tampered = Buffer.from(html.toString('utf8').replace('VERIFIED', 'VERIFIEd'));
      assert.equal(code(tampered, htmlSig), 'report_modified');
      // A signature for another report (the JSON's, on the HTML).
      assert.equal(code(html, jsonSig), 'report_modified');
      // The right format signed by another key: not the log's.
      const other = generateNoteKey(gw.gateway.audit.origin);
      assert.equal(code(html, htmlSig, other.verifierKey), 'signature_invalid');
      assert.equal(
        code(html, signReport(html, 'html', r, parseNoteSignerKey(other.signerKey))),
        'signature_invalid',
      );
      assert.equal(code(html, htmlSig, 'not a key'), 'key_invalid');
      assert.equal(code(html, 'garbage'), 'signature_malformed');
      // Swapped checkpoint: a genuine checkpoint of this log, but not the one the report embeds.
      await gw.call('POST', '/v1/actions', {
        token: await gw.token('agent', 'exporter'),
        body: { action: 'db.export', resource: 'pg://x', params: { rows: 5 } },
      });
      const later = await report(gw, now);
      assert.notEqual(later.log_integrity.checkpoint?.size, r.log_integrity.checkpoint?.size);
      assert.equal(code(html, signReport(html, 'html', later, signer)), 'checkpoint_mismatch');
      assert.equal(code(json, signReport(json, 'json', later, signer)), 'checkpoint_mismatch');
      // A checkpoint of another log (signed by another key) embedded in a genuine signature.
      const forged: Soc2Report = structuredClone(r);
      const c = forged.log_integrity.checkpoint!;
      c.note = signNote(
        formatCheckpoint({
          origin: c.origin,
          size: c.size,
          rootHash: Buffer.from(c.root_hash, 'base64'),
        }),
        parseNoteSignerKey(other.signerKey),
      );
      assert.equal(code(html, signReport(html, 'html', forged, signer)), 'checkpoint_invalid');
      // Nothing to anchor to: no signature at all.
      const bare: Soc2Report = structuredClone(r);
      bare.log_integrity.checkpoint = null;
      assert.throws(() => signReport(html, 'html', bare, signer), /no signed checkpoint/);
    } finally {
      await gw.close();
    }
  });

  test('the log check needs a key from outside the gateway unless the gateway key is accepted', async () => {
    const gw = await startGateway({ dialect: 'sqlite' });
    try {
      await gw.gateway.audit.checkpoint();
      const config = resolveConfig(
        { directory: DIRECTORY, policy: gw.policyFile, data_dir: join(gw.dir, 'data') },
        gw.dir,
        {},
      );
      const day = new Date().toISOString().slice(0, 10);
      const period = reportPeriod(day, day);
      const none = await generateSoc2Report(gw.gateway.storage, config, { period });
      assert.equal(none.log_integrity.status, 'not_available');
      assert.match(none.log_integrity.detail, /no verifier key from outside the gateway/);
      const outside = await generateSoc2Report(gw.gateway.storage, config, {
        period,
        verifierKey: gw.gateway.audit.verifierKey,
      });
      assert.equal(outside.log_integrity.status, 'verified');
      assert.match(outside.log_integrity.detail, /the --key option/);
      const accepted = await generateSoc2Report(gw.gateway.storage, config, {
        period,
        acceptGatewayKey: true,
      });
      assert.equal(accepted.log_integrity.status, 'verified');
      assert.match(accepted.log_integrity.detail, /gateway's store/);
    } finally {
      await gw.close();
    }
  });
});

describe(
  'directory evidence across replicas (postgres)',
  { skip: !(await postgresAvailable()) },
  () => {
    test('two replicas starting at once on one store record the baseline once, and a change once', async () => {
      const admin =
        process.env.COUNTERSIGN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
      const name = `cs_report_${randomBytes(6).toString('hex')}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      const url = new URL(admin);
      url.pathname = `/${name}`;
      const databaseUrl = url.toString();
      const dir = mkdtempSync(join(tmpdir(), 'countersign-report-'));
      writeFileSync(join(dir, 'policy.yaml'), POLICY);
      const reuse = { dir, databaseUrl };
      const pair = (directory?: Dir) =>
        Promise.all(
          [0, 1].map(() =>
            startGateway({ dialect: 'postgres', reuse, ...(directory ? { directory } : {}) }),
          ),
        );
      try {
        let [a, b] = await pair();
        assert.deepEqual(summary(await directoryEntries(a)), ['directory.baseline']);
        await Promise.all([a.close({ keep: true }), b.close({ keep: true })]);
        [a, b] = await pair(withGina);
        await b.gateway.audit.sync();
        assert.deepEqual(summary(await directoryEntries(a)), [
          'directory.baseline',
          'directory.user_added gina',
          'directory.group_member_added data-owners gina',
        ]);
        await Promise.all([a.close({ keep: true }), b.close({ keep: true })]);
      } finally {
        await dropPgDatabase(databaseUrl);
      }
    });
  },
);
