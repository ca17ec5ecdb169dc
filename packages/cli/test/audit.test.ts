import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  EXPORT_FILES,
  MemoryMerkleTree,
  formatCheckpoint,
  generateNoteKey,
  leafHash,
  parseNoteSignerKey,
  signNote,
} from '@countersign/core';
import { auditEntries as entries } from './audit-entries.js';
import { cli, exited, freePort, startServer, workspace } from './cli-harness.js';

const ORIGIN = 'audit.test/countersign';
const KEY = generateNoteKey(ORIGIN);

function note(lines: readonly string[], size: number): string {
  const tree = new MemoryMerkleTree(lines.slice(0, size).map((l) => leafHash(Buffer.from(l))));
  return signNote(
    formatCheckpoint({ origin: ORIGIN, size, rootHash: tree.root() }),
    parseNoteSignerKey(KEY.signerKey),
  );
}

/** An export directory in the documented layout, with older checkpoints at `history` sizes. */
function exportDir(lines: readonly string[], signed = lines, history: number[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-audit-'));
  writeFileSync(join(dir, EXPORT_FILES.entries), lines.map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, EXPORT_FILES.checkpoint), note(signed, signed.length));
  writeFileSync(join(dir, EXPORT_FILES.key), `${KEY.verifierKey}\n`);
  mkdirSync(join(dir, EXPORT_FILES.checkpoints));
  for (const size of history) {
    writeFileSync(join(dir, EXPORT_FILES.checkpoints, `${size}.txt`), note(signed, size));
  }
  return dir;
}

const LOG = entries(300);

describe('countersign audit verify DIR', () => {
  test('an intact export passes; the key inside the export draws a warning', () => {
    const dir = exportDir(LOG, LOG, [10, 100]);
    const r = cli(['audit', 'verify', dir]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^OK: 300 entries verified against the checkpoint of audit\.test/);
    assert.match(r.stdout, /2 older checkpoints matched/);
    assert.match(r.stderr, /warning: .*log-key\.pub.*not that it is the log your gateway signed/s);
  });

  test('--key as a string or a file: no warning; --json prints the result', () => {
    const dir = exportDir(LOG);
    const withKey = cli(['audit', 'verify', dir, '--key', KEY.verifierKey]);
    assert.equal(withKey.status, 0, withKey.stderr);
    assert.equal(withKey.stderr, '');
    const file = join(dir, '..', `${dir.split('/').pop()}.pub`);
    writeFileSync(file, `# the published key\n${KEY.verifierKey}\n`);
    const json = cli(['audit', 'verify', dir, '--key', file, '--json']);
    assert.equal(json.status, 0, json.stderr);
    assert.deepEqual(
      { ...JSON.parse(json.stdout), root_hash: undefined },
      {
        ok: true,
        size: 300,
        root_hash: undefined,
        origin: ORIGIN,
        checkpoint_size: 300,
        checkpoints_checked: 0,
      },
    );
  });

  test('an edited, a deleted, an inserted or swapped entry fails at its index', () => {
    const edited = [...LOG];
    edited[137] = edited[137].replace('"tag":"x"', '"tag":"y"');
    const deleted = LOG.filter((_, i) => i !== 42);
    const inserted = [...LOG];
    inserted.splice(200, 0, LOG[200].replace('"tag":"x"', '"tag":"forged"'));
    const swapped = [...LOG];
    [swapped[7], swapped[9]] = [swapped[9], swapped[7]];
    for (const [lines, index, code] of [
      [edited, 137, 'prev_mismatch'],
      [deleted, 42, 'entry_out_of_order'],
      [inserted, 200, 'entry_out_of_order'],
      [swapped, 7, 'entry_out_of_order'],
      [LOG.slice(0, 250), 250, 'entries_missing'],
    ] as const) {
      const r = cli(['audit', 'verify', exportDir(lines, LOG), '--key', KEY.verifierKey]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, new RegExp(`^FAIL at index ${index}: .*\\(${code}\\)\\n$`));
    }
  });

  test('the last entry edited: bounded by the older checkpoints of the export', () => {
    const edited = [...LOG];
    edited[299] = edited[299].replace('"tag":"x"', '"tag":"y"');
    const r = cli([
      'audit',
      'verify',
      exportDir(edited, LOG, [100, 290]),
      '--key',
      KEY.verifierKey,
    ]);
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /^FAIL in entries \[290, 300\): .*entry 299 was altered.*\(root_mismatch\)/,
    );
  });

  test('a tampered checkpoint, a wrong key, and a fork against --since', () => {
    const dir = exportDir(LOG);
    const cp = join(dir, EXPORT_FILES.checkpoint);
    const original = readFileSync(cp, 'utf8');
    writeFileSync(cp, original.replace('\n300\n', '\n299\n'));
    const tampered = cli(['audit', 'verify', dir, '--key', KEY.verifierKey]);
    assert.equal(tampered.status, 1);
    assert.match(tampered.stdout, /^FAIL: the checkpoint: .*\(checkpoint_signature_invalid\)/);
    writeFileSync(cp, original);

    const other = generateNoteKey(ORIGIN).verifierKey;
    const wrongKey = cli(['audit', 'verify', dir, '--key', other]);
    assert.equal(wrongKey.status, 1);
    assert.match(wrongKey.stdout, /\(checkpoint_unverified\)/);

    const since = join(dir, '..', `${dir.split('/').pop()}-since.txt`);
    writeFileSync(since, note(LOG, 120));
    assert.equal(
      cli(['audit', 'verify', dir, '--key', KEY.verifierKey, '--since', since]).status,
      0,
    );
    writeFileSync(since, note(entries(150, LOG.slice(0, 100), 'fork'), 150));
    const forked = cli(['audit', 'verify', dir, '--key', KEY.verifierKey, '--since', since]);
    assert.equal(forked.status, 1);
    assert.match(forked.stdout, /^FAIL in entries \[0, 150\): the --since checkpoint .* \(fork\)/);
  });

  test('not an export, a bad key, a missing --since file', () => {
    const empty = mkdtempSync(join(tmpdir(), 'countersign-audit-'));
    const r = cli(['audit', 'verify', empty, '--key', KEY.verifierKey]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not an audit export: no checkpoint\.txt/);
    const dir = exportDir(LOG);
    assert.match(cli(['audit', 'verify', dir, '--key', 'nope']).stderr, /--key nope/);
    const missing = cli(['audit', 'verify', dir, '--since', join(empty, 'nope.txt')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read .*nope\.txt/);
  });
});

describe('countersign audit against a running gateway', () => {
  test('export, verify, then a row edited or deleted in SQLite fails at its index', async () => {
    const { dir, config } = workspace();
    const admin = cli(['token', 'create', '--user', 'root', '--config', config]).stdout.trim();
    const agent = cli(['token', 'create', '--agent', 'exporter', '--config', config]).stdout.trim();
    const port = await freePort();
    const server = await startServer(config, port);
    const url = `http://127.0.0.1:${port}`;
    const flags = ['--url', url, '--token', admin];
    try {
      for (const rows of [5, 50000, 7, 60000]) {
        const res = await fetch(`${url}/v1/actions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
          body: JSON.stringify({ action: 'db.export', resource: 'pg://x', params: { rows } }),
        });
        assert.equal(res.status, 201);
      }
      const checkpoint = cli(['audit', 'checkpoint', ...flags]);
      assert.equal(checkpoint.status, 0, checkpoint.stderr);
      assert.match(checkpoint.stdout, /^\S+\n\d+\n[A-Za-z0-9+/]{43}=\n\n\u2014 /);

      const out = join(dir, 'export');
      const exported = cli(['audit', 'export', '--out', out, ...flags]);
      assert.equal(exported.status, 0, exported.stdout + exported.stderr);
      const key = readFileSync(join(out, EXPORT_FILES.key), 'utf8').trim();
      const size = readFileSync(join(out, EXPORT_FILES.entries), 'utf8').split('\n').length - 1;
      assert.ok(size >= 8, `only ${size} entries`);
      const ok = cli(['audit', 'verify', out, '--key', key]);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, new RegExp(`^OK: ${size} entries`));
      // Not a terminal (a pipe): no progress line, so scripts read only the result.
      assert.doesNotMatch(exported.stderr + ok.stderr, /entries \(\d+%/);
      // A terminal (forced here): progress on stderr, ending at 100%; stdout unchanged.
      const progress = { env: { COUNTERSIGN_PROGRESS: '1' } };
      const shown = cli(['audit', 'verify', out, '--key', key], progress);
      assert.equal(shown.stdout, ok.stdout);
      assert.match(
        shown.stderr,
        new RegExp(`\\rverified ${size} of ${size} entries \\(100%, \\d+/s\\)\\n`),
      );
      const again = join(dir, 'export-again');
      const exportShown = cli(['audit', 'export', '--out', again, ...flags], progress);
      assert.equal(exportShown.status, 0, exportShown.stderr);
      assert.match(exportShown.stderr, /\rexported and verified \d+ of \d+ entries \(100%/);
      assert.equal(
        cli(['audit', 'export', '--out', out, ...flags]).status,
        2,
        'refuses a non-empty dir',
      );
      const live = cli(['audit', 'verify', url, '--key', key, '--token', admin]);
      assert.equal(live.status, 0, live.stdout + live.stderr);

      // The operator (or an intruder) edits the database behind the gateway's back.
      const db = new Database(join(dir, 'data', 'countersign.db'));
      try {
        const row = db
          .prepare(`SELECT idx, entry FROM audit_entries WHERE entry LIKE '%"rows":%' ORDER BY idx`)
          .get() as { idx: number; entry: string };
        const at = row.idx;
        assert.ok(at < size - 1, 'the edited entry has a successor');
        const forged = row.entry.replace(/"rows":\d+/, '"rows":1');
        assert.notEqual(forged, row.entry);
        db.prepare('UPDATE audit_entries SET entry = ? WHERE idx = ?').run(forged, at);
        const editedLive = cli(['audit', 'verify', url, '--key', key, '--token', admin]);
        assert.equal(editedLive.status, 1, editedLive.stdout);
        assert.match(editedLive.stdout, new RegExp(`^FAIL at index ${at}: .*\\(prev_mismatch\\)`));

        db.prepare('UPDATE audit_entries SET entry = ? WHERE idx = ?').run(row.entry, at);
        assert.equal(cli(['audit', 'verify', url, '--key', key, '--token', admin]).status, 0);

        // Two rows' contents swapped (reordered): named at the first.
        const text = db.prepare('SELECT entry FROM audit_entries WHERE idx = ?').pluck();
        const [a, b] = [text.get(at + 1) as string, text.get(at + 3) as string];
        const put = db.prepare('UPDATE audit_entries SET entry = ? WHERE idx = ?');
        put.run(b, at + 1);
        put.run(a, at + 3);
        const swapped = cli(['audit', 'verify', url, '--key', key, '--token', admin]);
        assert.match(
          swapped.stdout,
          new RegExp(`^FAIL at index ${at + 1}: .*\\(entry_out_of_order\\)`),
        );
        put.run(a, at + 1);
        put.run(b, at + 3);

        // A forged row inserted at `at + 2`, the rows after it renumbered to make room.
        db.prepare('UPDATE audit_entries SET idx = -idx - 1 WHERE idx >= ?').run(at + 2);
        db.prepare('UPDATE audit_entries SET idx = -idx WHERE idx < 0').run();
        db.prepare(
          `INSERT INTO audit_entries (idx, entry, leaf_hash, at, type, request_id)
           SELECT ?, replace(entry, '"index":' || ?, '"index":' || ?), leaf_hash, at, type, request_id
           FROM audit_entries WHERE idx = ?`,
        ).run(at + 2, at + 1, at + 2, at + 1);
        const inserted = cli(['audit', 'verify', url, '--key', key, '--token', admin]);
        assert.match(
          inserted.stdout,
          new RegExp(`^FAIL at index ${at + 2}: .*\\(entry_out_of_order\\)`),
        );
        db.prepare('DELETE FROM audit_entries WHERE idx = ?').run(at + 2);
        db.prepare('UPDATE audit_entries SET idx = -idx WHERE idx > ?').run(at + 2);
        db.prepare('UPDATE audit_entries SET idx = -idx - 1 WHERE idx < 0').run();
        assert.equal(cli(['audit', 'verify', url, '--key', key, '--token', admin]).status, 0);

        db.prepare('DELETE FROM audit_entries WHERE idx = ?').run(at + 1);
        const again = cli(['audit', 'export', '--out', out, '--force', ...flags]);
        assert.equal(again.status, 1, 'the export checks itself');
        const deleted = cli(['audit', 'verify', out, '--key', key]);
        assert.equal(deleted.status, 1, deleted.stdout);
        assert.match(
          deleted.stdout,
          new RegExp(`^FAIL at index ${at + 1}: .*\\(entry_out_of_order\\)`),
        );
      } finally {
        db.close();
      }
    } finally {
      server.kill('SIGTERM');
      await exited(server);
    }
  });
});
