import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EXPORT_FILES,
  MemoryMerkleTree,
  formatAddCheckpointBody,
  formatCheckpoint,
  generateNoteKey,
  leafHash,
  parseNoteSignerKey,
  signNote,
} from '@countersign/core';
import { auditEntries } from './audit-entries.js';
import { MAIN, cli, exited, freePort, startServer, workspace } from './cli-harness.js';

const ORIGIN = 'audit.test/witnessed';
const LOG_KEY = generateNoteKey(ORIGIN);

/** A real `countersign witness serve` process on loopback. */
interface WitnessProcess {
  vkey: string;
  url: string;
  child: ChildProcess;
  keyFile: string;
  stateFile: string;
}

async function startWitness(dir: string, name: string, logKey = LOG_KEY.verifierKey) {
  const keyFile = join(dir, `${name}.key`);
  const gen = cli(['witness', 'keygen', `witness.test/${name}`, '--out', keyFile]);
  assert.equal(gen.status, 0, gen.stderr);
  const w = await serveWitness(keyFile, join(dir, `${name}.json`), logKey);
  return { ...w, vkey: gen.stdout.trim() };
}

async function serveWitness(keyFile: string, stateFile: string, logKey: string) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'witness',
      'serve',
      '--key',
      keyFile,
      '--log',
      logKey,
      '--state',
      stateFile,
      '--port',
      String(port),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 15_000;
  while (!out.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`witness did not start: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, keyFile, stateFile, url: `http://127.0.0.1:${port}`, vkey: '' };
}

async function stop(w: WitnessProcess) {
  w.child.kill('SIGTERM');
  await exited(w.child);
}

async function post(url: string, body: string) {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

const LINES = auditEntries(40);
const TREE = new MemoryMerkleTree(LINES.map((l) => leafHash(Buffer.from(l))));
const note = (size: number) =>
  signNote(
    formatCheckpoint({ origin: ORIGIN, size, rootHash: TREE.root(size) }),
    parseNoteSignerKey(LOG_KEY.signerKey),
  );

/** An export directory whose checkpoint.txt ends in `cosignatures`. */
function exportDir(cosignatures: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-witnessed-'));
  writeFileSync(join(dir, EXPORT_FILES.entries), LINES.map((l) => `${l}\n`).join(''));
  writeFileSync(join(dir, EXPORT_FILES.checkpoint), note(LINES.length) + cosignatures);
  writeFileSync(join(dir, EXPORT_FILES.key), `${LOG_KEY.verifierKey}\n`);
  return dir;
}

describe('countersign witness serve: C2SP tlog-witness over HTTP, two real processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-witnesses-'));
  let w1: WitnessProcess;
  let w2: WitnessProcess;
  let lines1: string;
  let lines2: string;
  before(async () => {
    [w1, w2] = await Promise.all([startWitness(dir, 'w1'), startWitness(dir, 'w2')]);
    const first = await post(w1.url, formatAddCheckpointBody(0, [], note(10)));
    assert.equal(first.status, 200, first.body);
    const grown = await post(
      w1.url,
      formatAddCheckpointBody(10, TREE.consistencyProof(10, 40), note(40)),
    );
    assert.equal(grown.status, 200, grown.body);
    lines1 = grown.body;
    const other = await post(w2.url, formatAddCheckpointBody(0, [], note(40)));
    assert.equal(other.status, 200, other.body);
    lines2 = other.body;
  });
  after(async () => {
    await Promise.all([w1, w2].filter(Boolean).map(stop));
  });

  test('tlog-witness "add-checkpoint": 409 text/x.tlog.size, 422, 403, 404, 400 from the real process', async () => {
    const conflict = await post(
      w1.url,
      formatAddCheckpointBody(10, TREE.consistencyProof(10, 40), note(40)),
    );
    assert.deepEqual(
      [conflict.status, conflict.type, conflict.body],
      [409, 'text/x.tlog.size', '40\n'],
    );
    const proof = TREE.consistencyProof(10, 40);
    proof[1] = leafHash(Buffer.from('x'));
    const fresh = await startWitness(dir, 'w3');
    try {
      assert.equal((await post(fresh.url, formatAddCheckpointBody(0, [], note(10)))).status, 200);
      assert.equal(
        (await post(fresh.url, formatAddCheckpointBody(10, proof, note(40)))).status,
        422,
      );
      const impostor = signNote(
        formatCheckpoint({ origin: ORIGIN, size: 40, rootHash: TREE.root(40) }),
        parseNoteSignerKey(generateNoteKey(ORIGIN).signerKey),
      );
      assert.equal(
        (
          await post(
            fresh.url,
            formatAddCheckpointBody(10, TREE.consistencyProof(10, 40), impostor),
          )
        ).status,
        403,
      );
      const stranger = generateNoteKey('stranger.test/log');
      const unknown = signNote(
        formatCheckpoint({ origin: 'stranger.test/log', size: 40, rootHash: TREE.root(40) }),
        parseNoteSignerKey(stranger.signerKey),
      );
      assert.equal((await post(fresh.url, formatAddCheckpointBody(0, [], unknown))).status, 404);
      assert.equal((await post(fresh.url, 'old 0\nno\n\nnot a note')).status, 400);
      assert.equal((await fetch(`${fresh.url}/add-checkpoint`)).status, 405);
    } finally {
      await stop(fresh);
    }
  });

  test('the state survives a restart: a rollback to an older size is still refused', async () => {
    await stop(w1);
    const restarted = await serveWitness(w1.keyFile, w1.stateFile, LOG_KEY.verifierKey);
    w1 = { ...restarted, vkey: w1.vkey };
    const rollback = await post(w1.url, formatAddCheckpointBody(0, [], note(10)));
    assert.deepEqual([rollback.status, rollback.body], [409, '40\n']);
    const state = JSON.parse(readFileSync(w1.stateFile, 'utf8'));
    assert.equal(state.logs[ORIGIN].size, 40);
    // A second keygen never overwrites a key.
    assert.equal(cli(['witness', 'keygen', 'witness.test/w1', '--out', w1.keyFile]).status, 2);
  });

  test('audit verify --witness --witness-quorum 2 passes with both cosignatures', () => {
    const d = exportDir(lines1 + lines2);
    const r = cli([
      'audit',
      'verify',
      d,
      '--key',
      LOG_KEY.verifierKey,
      '--witness',
      w1.vkey,
      '--witness',
      w2.vkey,
      '--witness-quorum',
      '2',
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /cosigned by 2 witnesses \(quorum 2\)/);
    // A key file works too, and the default quorum is every witness given.
    const keys = join(d, 'witnesses.txt');
    writeFileSync(keys, `# our auditors\n${w1.vkey}\n${w2.vkey}\n`);
    const json = cli([
      'audit',
      'verify',
      d,
      '--key',
      LOG_KEY.verifierKey,
      '--witness',
      keys,
      '--json',
    ]);
    assert.equal(json.status, 0, json.stdout + json.stderr);
    assert.equal(JSON.parse(json.stdout).witnesses.cosigned_by.length, 2);
  });

  test('audit verify fails closed: one cosignature for a quorum of 2, none, or a forged one', () => {
    const flags = ['--key', LOG_KEY.verifierKey, '--witness', w1.vkey, '--witness', w2.vkey];
    const one = cli(['audit', 'verify', exportDir(lines1), ...flags, '--witness-quorum', '2']);
    assert.equal(one.status, 1, one.stdout);
    assert.match(one.stdout, /FAIL: 1 of the required 2 witnesses .*\(witness_quorum_not_met\)/);
    const none = cli(['audit', 'verify', exportDir(''), ...flags, '--witness-quorum', '1']);
    assert.equal(none.status, 1);
    assert.match(none.stdout, /witness_quorum_not_met/);
    const raw = Buffer.from(lines2.trim().split(' ')[2], 'base64');
    raw[20] ^= 0x80;
    const forgedLine = `\u2014 witness.test/w2 ${raw.toString('base64')}\n`;
    const forged = cli([
      'audit',
      'verify',
      exportDir(lines1 + forgedLine),
      ...flags,
      '--witness-quorum',
      '1',
    ]);
    assert.equal(forged.status, 1);
    assert.match(forged.stdout, /\(cosignature_invalid\)/);
    // Usage errors rather than a silent pass.
    assert.equal(cli(['audit', 'verify', exportDir(lines1), '--witness-quorum', '1']).status, 2);
    assert.equal(
      cli(['audit', 'verify', exportDir(lines1), ...flags, '--witness-quorum', '3']).status,
      2,
    );
  });
});

describe('a gateway with two witnesses, verified live with a quorum', () => {
  test('the gateway submits, serves ?cosigned=2, and audit verify URL --witness-quorum 2 passes', async () => {
    const { dir, config } = workspace();
    const env = { COUNTERSIGN_AUDIT_SIGNING_KEY: LOG_KEY.signerKey };
    const [w1, w2] = await Promise.all([startWitness(dir, 'g1'), startWitness(dir, 'g2')]);
    appendFileSync(
      config,
      `audit:\n  origin: ${ORIGIN}\n  checkpoint_interval: 1s\n  witnesses:\n` +
        `    - { name: g1, url: "${w1.url}", vkey: "${w1.vkey}" }\n` +
        `    - { name: g2, url: "${w2.url}", vkey: "${w2.vkey}" }\n`,
    );
    process.env.COUNTERSIGN_AUDIT_SIGNING_KEY = LOG_KEY.signerKey;
    let server: ChildProcess | undefined;
    try {
      const admin = cli(['token', 'create', '--user', 'root', '--config', config], {
        env,
      }).stdout.trim();
      const port = await freePort();
      server = await startServer(config, port);
      const url = `http://127.0.0.1:${port}`;
      const auth = { authorization: `Bearer ${admin}` };
      const latest = (await (
        await fetch(`${url}/v1/audit/checkpoint`, { headers: auth })
      ).json()) as {
        size: number;
      };
      let cosigned: { size?: number; note?: string } = {};
      const deadline = Date.now() + 20_000;
      while (cosigned.size !== latest.size && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        const res = await fetch(`${url}/v1/audit/checkpoint?cosigned=2`, { headers: auth });
        if (res.status === 200) cosigned = (await res.json()) as typeof cosigned;
      }
      assert.equal(cosigned.size, latest.size, 'both witnesses cosigned the latest checkpoint');
      const flags = ['--key', LOG_KEY.verifierKey, '--token', admin];
      const ok = cli([
        'audit',
        'verify',
        url,
        ...flags,
        '--witness',
        w1.vkey,
        '--witness',
        w2.vkey,
        '--witness-quorum',
        '2',
      ]);
      assert.equal(ok.status, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /cosigned by 2 witnesses/);
      // A witness the gateway never asked: fails closed.
      const stranger = await startWitness(dir, 'g3');
      await stop(stranger);
      const closed = cli(['audit', 'verify', url, ...flags, '--witness', stranger.vkey]);
      assert.equal(closed.status, 1, closed.stdout + closed.stderr);
      assert.match(closed.stdout, /witness_quorum_not_met/);
      // An export up to the cosigned checkpoint verifies offline with the quorum too.
      const out = join(dir, 'export');
      const exported = cli([
        'audit',
        'export',
        '--out',
        out,
        '--cosigned',
        '2',
        '--url',
        url,
        '--token',
        admin,
      ]);
      assert.equal(exported.status, 0, exported.stdout + exported.stderr);
      const offline = cli([
        'audit',
        'verify',
        out,
        '--key',
        LOG_KEY.verifierKey,
        '--witness',
        w1.vkey,
        '--witness',
        w2.vkey,
      ]);
      assert.equal(offline.status, 0, offline.stdout + offline.stderr);
    } finally {
      delete process.env.COUNTERSIGN_AUDIT_SIGNING_KEY;
      server?.kill('SIGTERM');
      if (server) await exited(server);
      await Promise.all([stop(w1), stop(w2)]);
    }
  });
});
