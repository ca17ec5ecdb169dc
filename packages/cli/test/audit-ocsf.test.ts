import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPORT_FILES } from '@countersign/core';
import { cli, exited, freePort, startServer, workspace } from './cli-harness.js';

/**
 * The server package's test-only OCSF validators: our committed conformance schema, always
 * (server/test/ocsf-conformance.ts), and the full published schema when vendored
 * (server/test/ocsf-validator.ts).
 */
interface ConformanceModule {
  validateConformance: (event: unknown) => { ok: true } | { ok: false; errors: string[] };
}
const { validateConformance } = (await import(
  new URL('../../../server/dist/test/ocsf-conformance.js', import.meta.url).href
)) as ConformanceModule;
interface ValidatorModule {
  ocsfSchemaAvailable(): boolean;
  OcsfValidator: new () => {
    validate(event: unknown): { ok: true } | { ok: false; errors: string[] };
  };
}
const schema = (await import(
  new URL('../../../server/dist/test/ocsf-validator.js', import.meta.url).href
)) as ValidatorModule;
const validator = schema.ocsfSchemaAvailable() ? new schema.OcsfValidator() : undefined;

describe('countersign audit export --format ocsf against a running gateway (SQLite)', () => {
  test('every entry of the log, one valid OCSF 1.9 event a line, raw_data = the verifiable export; --from resumes; refusals exit 1', async () => {
    const { dir, config } = workspace();
    const admin = cli(['token', 'create', '--user', 'root', '--config', config]).stdout.trim();
    const alice = cli(['token', 'create', '--user', 'alice', '--config', config]).stdout.trim();
    const agent = cli(['token', 'create', '--agent', 'exporter', '--config', config]).stdout.trim();
    const port = await freePort();
    const server = await startServer(config, port);
    const url = `http://127.0.0.1:${port}`;
    const flags = ['--url', url, '--token', admin];
    try {
      let big = '';
      for (const rows of [5, 50000]) {
        const res = await fetch(`${url}/v1/actions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
          body: JSON.stringify({ action: 'db.export', resource: 'pg://x', params: { rows } }),
        });
        assert.equal(res.status, 201);
        big = ((await res.json()) as { id: string }).id;
      }
      const vote = await fetch(`${url}/v1/actions/${big}/votes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
        body: JSON.stringify({ vote: 'approve' }),
      });
      assert.equal(vote.status, 200);

      const ocsf = cli(['audit', 'export', '--format', 'ocsf', ...flags]);
      assert.equal(ocsf.status, 0, ocsf.stderr);
      assert.equal(ocsf.stderr, '', 'stdout is the data; nothing else is said');
      const lines = ocsf.stdout.split('\n').slice(0, -1);
      // The verifiable export of the same log: its lines are the events' raw_data.
      const out = join(mkdtempSync(join(tmpdir(), 'countersign-ocsf-')), 'dir');
      assert.equal(cli(['audit', 'export', '--out', out, ...flags]).status, 0);
      const entries = readFileSync(join(out, EXPORT_FILES.entries), 'utf8').split('\n');
      assert.ok(lines.length >= 8, `only ${lines.length} events`);
      const classes = new Set<number>();
      for (const [i, line] of lines.entries()) {
        const event = JSON.parse(line) as {
          class_uid: number;
          raw_data: string;
          metadata: { sequence: number };
        };
        assert.equal(event.metadata.sequence, i);
        assert.equal(event.raw_data, entries[i]);
        classes.add(event.class_uid);
        const own = validateConformance(event);
        assert.ok(
          own.ok,
          `event ${i} (conformance schema): ${own.ok ? '' : own.errors.join('\n')}`,
        );
        if (validator) {
          const r = validator.validate(event);
          assert.ok(r.ok, `event ${i}: ${r.ok ? '' : r.errors.join('\n')}`);
        }
      }
      // Base Event (0): the `directory.baseline` the gateway records when it starts, a type
      // without a specific class (docs/ocsf.md, "any other type").
      assert.deepEqual(
        [...classes].sort((a, b) => a - b),
        [0, 3004, 3005],
      );

      // Resume into a file: exactly the tail, and the file is not overwritten without --force.
      const file = join(dir, 'events.ndjson');
      const resumed = cli([
        'audit',
        'export',
        '--format',
        'ocsf',
        '--from',
        '3',
        '-o',
        file,
        ...flags,
      ]);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stderr, /exported entries \[3, \d+\) as OCSF events/);
      const tail = readFileSync(file, 'utf8').split('\n').slice(0, -1);
      assert.deepEqual(tail.slice(0, lines.length - 3), lines.slice(3));
      const again = cli(['audit', 'export', '--format', 'ocsf', '-o', file, ...flags]);
      assert.equal(again.status, 2);
      assert.match(again.stderr, /exists \(pass --force/);

      // A plain user is refused by the gateway (problem+json, audited there): exit 1.
      const refused = cli(['audit', 'export', '--format', 'ocsf', '--url', url, '--token', alice]);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /403 forbidden/);
      assert.equal(refused.stdout, '');
      const bad = cli(['audit', 'export', '--format', 'ocsf', '--from', '-1', ...flags]);
      assert.equal(bad.status, 2);
      assert.equal(cli(['audit', 'export', ...flags]).status, 2, '--out is needed for a directory');
      const sliced = cli(['audit', 'export', '--out', join(dir, 'x'), '--from', '3', ...flags]);
      assert.equal(sliced.status, 2, 'the verifiable export is never a slice');
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  });
});
