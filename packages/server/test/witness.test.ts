import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, sign as edSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Witness,
  cosignedMessage,
  formatAddCheckpointBody,
  generateCosignerKey,
  generateNoteKey,
  parseCosignerKey,
  parseCosignerVerifierKey,
  signNote,
  verifyWitnessQuorum,
} from '@countersign/core';
import { startWitnessServer, witnessStateFile, type WitnessServer } from '../src/index.js';
import { WITNESS_RETRY_MS, WitnessSubmitter } from '../src/audit/witness-submitter.js';
import { CosignatureRepository } from '../src/storage/cosignature-repository.js';
import { dialects, startGateway, type TestGateway } from './harness.js';

const ORIGIN = 'audit.example.com/witness-test';

/** A witness process's parts, on loopback, with its state in a JSON file. */
async function runWitness(dir: string, name: string, logVerifierKey: string, now: () => number) {
  const key = generateCosignerKey(`witness.example.com/${name}`);
  const stateFile = join(dir, `${name}.json`);
  const { state, store } = witnessStateFile(stateFile);
  const witness = new Witness({
    signer: parseCosignerKey(key.signerKey, now),
    logKeys: [logVerifierKey],
    store,
    state,
  });
  const server = await startWitnessServer(witness);
  return { key, stateFile, witness, server };
}

for (const dialect of await dialects()) {
  describe(`C2SP tlog-witness: the gateway submits checkpoints to witnesses (${dialect})`, () => {
    let clock = Date.UTC(2026, 11, 6, 9, 0, 0);
    const now = () => clock;
    const logKey = generateNoteKey(ORIGIN);
    const dir = mkdtempSync(join(tmpdir(), 'countersign-witness-'));
    let w1: Awaited<ReturnType<typeof runWitness>>;
    let w2: Awaited<ReturnType<typeof runWitness>>;
    let gw: TestGateway;
    let agent: string;
    let auditor: string;
    const servers: WitnessServer[] = [];

    before(async () => {
      w1 = await runWitness(dir, 'w1', logKey.verifierKey, now);
      w2 = await runWitness(dir, 'w2', logKey.verifierKey, now);
      servers.push(w1.server, w2.server);
      // The log's key is fixed here so the witnesses can be told it before the gateway starts.
      process.env.COUNTERSIGN_AUDIT_SIGNING_KEY = logKey.signerKey;
      try {
        gw = await startGateway({
          dialect,
          now,
          tickMs: 60_000, // the test drives checkpoints and submissions itself
          audit: {
            origin: ORIGIN,
            witnesses: [
              { name: 'w1', url: w1.server.url, vkey: w1.key.verifierKey },
              { name: 'w2', url: `${w2.server.url}/`, vkey: w2.key.verifierKey },
            ],
          },
        });
      } finally {
        delete process.env.COUNTERSIGN_AUDIT_SIGNING_KEY;
      }
      agent = await gw.token('agent', 'exporter');
      auditor = await gw.token('user', 'root');
    });
    after(async () => {
      await gw.close();
      await Promise.all(servers.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    });

    const grow = async () => {
      const res = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: { action: 'db.export', resource: 'pg://prod', params: { rows: 10 } },
      });
      assert.equal(res.status, 201);
      clock += 1000;
      const c = await gw.gateway.audit.checkpoint();
      return c!;
    };
    const cosigned = (n: number) =>
      gw.call('GET', `/v1/audit/checkpoint?cosigned=${n}`, { token: auditor });
    const submissions = async () => {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      const count = (witness: string, outcome: string) =>
        Number(
          new RegExp(
            `countersign_witness_submissions_total\\{witness="${witness}",outcome="${outcome}"\\} (\\d+)`,
          ).exec(text)?.[1] ?? 0,
        );
      return { count };
    };

    test('tlog-witness "add-checkpoint": a 409 is retried at the witness\'s size, then both cosign; quorum 2 verifies', async () => {
      // The first housekeeping tick (at listen) signed and submitted the start's checkpoint.
      await gw.gateway.scheduler.tick();
      await gw.gateway.witnesses.submit();
      const before = await submissions();
      const start = w2.witness.state.logs[ORIGIN]?.size ?? 0;
      const first = await grow();
      // w2 sees a newer checkpoint from elsewhere (another replica, a previous run).
      const proof =
        start === 0
          ? []
          : (await gw.gateway.audit.consistency(start, first.size)).proof.map((h) =>
              Buffer.from(h, 'base64'),
            );
      const early = await w2.witness.addCheckpoint(
        formatAddCheckpointBody(start, proof, first.note),
      );
      assert.equal(early.status, 200);
      const second = await grow();
      assert.ok(second.size > first.size);

      await gw.gateway.witnesses.submit();
      const m = await submissions();
      const delta = (w: string, o: string) => m.count(w, o) - before.count(w, o);
      assert.equal(delta('w2', 'conflict'), 1, 'w2 answered 409 with its size');
      assert.equal(delta('w2', 'cosigned'), 1);
      assert.equal(delta('w1', 'cosigned'), 1);
      assert.equal(delta('w1', 'conflict'), 0);

      const res = await cosigned(2);
      assert.equal(res.status, 200);
      assert.equal(res.body.size, second.size);
      assert.deepEqual(res.body.cosigned_by.sort(), [
        'witness.example.com/w1',
        'witness.example.com/w2',
      ]);
      assert.ok(res.body.note.startsWith(second.note));
      const quorum = verifyWitnessQuorum({
        checkpoint: res.body.note,
        verifierKeys: [logKey.verifierKey],
        witnessKeys: [w1.key.verifierKey, w2.key.verifierKey],
        quorum: 2,
      });
      assert.equal(quorum.ok, true, JSON.stringify(quorum));
      // Persisted before answering: the state files say what was cosigned.
      for (const w of [w1, w2]) {
        const state = JSON.parse(readFileSync(w.stateFile, 'utf8'));
        assert.equal(state.logs[ORIGIN].size, second.size);
      }
      // Nothing new: no request at all in the next round.
      await gw.gateway.witnesses.submit();
      assert.equal((await submissions()).count('w1', 'cosigned'), m.count('w1', 'cosigned'));
    });

    test('tlog-witness "add-checkpoint": growth is submitted with old size and a consistency proof', async () => {
      const third = await grow();
      await gw.gateway.witnesses.submit();
      assert.equal((await cosigned(2)).body.size, third.size);
      assert.equal(w1.witness.state.logs[ORIGIN].size, third.size);
      assert.equal((await submissions()).count('w1', 'conflict'), 0);
    });

    test('a witness that is down is counted and retried later on the clock; the log goes on', async () => {
      await w2.server.close();
      const fourth = await grow();
      await gw.gateway.witnesses.submit();
      let m = await submissions();
      assert.equal(m.count('w2', 'failed'), 1);
      assert.equal((await cosigned(1)).body.size, fourth.size, 'w1 cosigned the newest');
      assert.ok((await cosigned(2)).body.size < fourth.size, 'quorum 2 is an older checkpoint');
      const none = await cosigned(3);
      assert.equal(none.status, 404);
      assert.equal(none.body.code, 'not_found');
      for (const bad of ['0', '33', 'two']) {
        const res = await gw.call('GET', `/v1/audit/checkpoint?cosigned=${bad}`, {
          token: auditor,
        });
        assert.equal(res.status, 400, bad);
        assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
      }
      // Auditors only, as for the plain checkpoint.
      assert.equal(
        (await gw.call('GET', '/v1/audit/checkpoint?cosigned=1', { token: agent })).status,
        403,
      );

      // Backing off: no new attempt until WITNESS_RETRY_MS has passed on the injected clock.
      await gw.gateway.witnesses.submit();
      assert.equal((await submissions()).count('w2', 'failed'), 1);
      w2.server = await startWitnessServer(w2.witness);
      servers.push(w2.server);
      // (the configured URL still points at the old port: it keeps failing, on schedule)
      clock += WITNESS_RETRY_MS;
      await gw.gateway.witnesses.submit();
      m = await submissions();
      assert.equal(m.count('w2', 'failed'), 2);
      // The wait doubles per failure: one more WITNESS_RETRY_MS is not enough, two are.
      clock += WITNESS_RETRY_MS;
      await gw.gateway.witnesses.submit();
      assert.equal((await submissions()).count('w2', 'failed'), 2, 'still backing off');
      clock += WITNESS_RETRY_MS;
      await gw.gateway.witnesses.submit();
      assert.equal((await submissions()).count('w2', 'failed'), 3);
      // Still checkpointing and serving the log.
      const fifth = await grow();
      assert.ok(fifth.size > fourth.size);
    });

    test('tlog-witness "add-checkpoint": a forged cosignature, a 422 or a bad 409 is never stored', async () => {
      const latest = (await gw.gateway.audit.latestCheckpoint())!;
      // A cosignature by another key under w1's name, and one with a flipped bit.
      const rogue = parseCosignerKey(generateCosignerKey('witness.example.com/w1').signerKey, now);
      const text = latest.note.slice(0, latest.note.lastIndexOf('\n\n') + 1);
      const rogueLine = signNote(text, rogue).slice(text.length + 1);
      const real = parseCosignerKey(w1.key.signerKey, now);
      const raw = Buffer.from(
        signNote(text, real)
          .slice(text.length + 1)
          .split(' ')[2],
        'base64',
      );
      raw[raw.length - 1] ^= 1;
      const flipped = `\u2014 witness.example.com/w1 ${raw.toString('base64')}\n`;
      // A valid Ed25519 cosignature by w1's key, but with the timestamp 0 the spec forbids.
      const seed = Buffer.from(w1.key.signerKey.split('+').slice(4).join('+'), 'base64').subarray(
        1,
      );
      const privateKey = createPrivateKey({
        key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
        format: 'der',
        type: 'pkcs8',
      });
      const keyId = Buffer.from(w1.key.verifierKey.split('+')[1], 'hex');
      const zero = Buffer.concat([
        keyId,
        Buffer.alloc(8),
        edSign(null, cosignedMessage(Buffer.from(text), 0n), privateKey),
      ]);
      assert.ok(
        parseCosignerVerifierKey(w1.key.verifierKey).verify(Buffer.from(text), zero.subarray(4)),
        'the signature itself verifies: only its zero timestamp is wrong',
      );
      const untimed = `\u2014 witness.example.com/w1 ${zero.toString('base64')}\n`;
      // A witness that answers without end: read up to the cap, then cancelled.
      const endless = () =>
        new ReadableStream<Uint8Array>({
          pull: (c) => c.enqueue(new Uint8Array(16 * 1024).fill(0x41)),
        });
      const answers: Array<[number, string, string | (() => ReadableStream<Uint8Array>)]> = [
        [200, 'text/plain', untimed],
        [200, 'text/plain', rogueLine],
        [200, 'text/plain', flipped],
        [200, 'text/plain', 'not a signature line\n'],
        [422, 'text/plain', 'inconsistent\n'],
        [409, 'text/plain', '3\n'],
        [200, 'text/plain', 'A'.repeat(65 * 1024)],
        [200, 'text/plain', endless],
      ];
      for (const [status, type, body] of answers) {
        const outcomes: string[] = [];
        const repo = new CosignatureRepository(gw.gateway.storage.db);
        const submitter = new WitnessSubmitter(
          [{ name: 'w1', url: 'http://127.0.0.1:9', vkey: w1.key.verifierKey }],
          gw.gateway.audit,
          repo,
          {
            now,
            onOutcome: (_, outcome) => outcomes.push(outcome),
            fetch: () =>
              Promise.resolve(
                new Response(typeof body === 'string' ? body : body(), {
                  status,
                  headers: { 'content-type': type },
                }),
              ),
          },
        );
        const rowsBefore = await gw.gateway.storage.db
          .selectFrom('audit_cosignatures')
          .selectAll()
          .execute();
        await submitter.submit();
        assert.deepEqual(
          outcomes,
          [status === 422 ? 'refused' : 'failed'],
          String(body).slice(0, 40),
        );
        const rowsAfter = await gw.gateway.storage.db
          .selectFrom('audit_cosignatures')
          .selectAll()
          .execute();
        assert.equal(rowsAfter.length, rowsBefore.length);
      }
    });
  });
}
