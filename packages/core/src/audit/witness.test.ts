import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { formatAddCheckpointBody, parseAddCheckpointBody } from './add-checkpoint-body.js';
import { formatCheckpoint } from './checkpoint.js';
import { generateCosignerKey, parseCosignerKey, parseCosignerVerifierKey } from './cosignature.js';
import { leafHash } from './merkle-hash.js';
import { MemoryMerkleTree } from './memory-merkle-tree.js';
import { generateNoteKey, parseNoteSignerKey, parseNoteVerifierKey } from './note-keys.js';
import { openNote, signNote } from './signed-note.js';
import { verifyWitnessQuorum } from './verify-witness-quorum.js';
import { Witness, parseWitnessState, type WitnessState } from './witness.js';

const ORIGIN = 'audit.example.com/countersign';
const logKey = generateNoteKey(ORIGIN);
const logSigner = parseNoteSignerKey(logKey.signerKey);
const impostor = parseNoteSignerKey(generateNoteKey(ORIGIN).signerKey);
const otherLog = generateNoteKey('other.example.com/log');
const wKey = generateCosignerKey('witness.example.com/w1');
const NOW = Date.UTC(2026, 11, 6, 9, 0, 0);

function tree(n: number, salt = ''): MemoryMerkleTree {
  const t = new MemoryMerkleTree();
  for (let i = 0; i < n; i++) t.append(leafHash(Buffer.from(`${salt}entry ${i}`)));
  return t;
}

function note(t: MemoryMerkleTree, size = t.size, signer = logSigner): string {
  return signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: t.root(size) }), signer);
}

function witness(saved: WitnessState[] = []) {
  return new Witness({
    signer: parseCosignerKey(wKey.signerKey, () => NOW),
    logKeys: [logKey.verifierKey],
    store: { save: async (s) => void saved.push(s) },
  });
}

const grown = tree(20);

/** The same signature line with one bit of the signature itself flipped. */
function forge(line: string): string {
  const [dash, name, sig] = line.trimEnd().split(' ') as [string, string, string];
  const raw = Buffer.from(sig, 'base64');
  raw[raw.length - 10] ^= 1;
  return `${dash} ${name} ${raw.toString('base64')}\n`;
}

test('tlog-witness "add-checkpoint": 200 with a cosignature line, then growth with a proof', async () => {
  const saved: WitnessState[] = [];
  const w = witness(saved);
  const first = await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown, 8)));
  assert.equal(first.status, 200);
  assert.match(first.body, /^\u2014 witness\.example\.com\/w1 [A-Za-z0-9+/=]+\n$/);
  // "the client MAY concatenate it to the checkpoint, and use a note verification function"
  const cosigned = note(grown, 8) + first.body;
  const quorum = verifyWitnessQuorum({
    checkpoint: cosigned,
    verifierKeys: [logKey.verifierKey],
    witnessKeys: [wKey.verifierKey],
    quorum: 1,
  });
  assert.deepEqual(quorum.ok && quorum.cosigned_by.length, 1);
  const second = await w.addCheckpoint(
    formatAddCheckpointBody(8, grown.consistencyProof(8, 20), note(grown)),
  );
  assert.equal(second.status, 200);
  assert.equal(saved.length, 2);
  assert.equal(saved[1].logs[ORIGIN].size, 20);
  // Same size, same root, empty proof: cosigned again (a fresh timestamp).
  const again = await w.addCheckpoint(formatAddCheckpointBody(20, [], note(grown)));
  assert.equal(again.status, 200);
});

test('tlog-witness "add-checkpoint": 409 Conflict with the witness size as text/x.tlog.size', async () => {
  const w = witness();
  assert.equal((await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown, 8)))).status, 200);
  const stale = await w.addCheckpoint(
    formatAddCheckpointBody(5, grown.consistencyProof(5, 20), note(grown)),
  );
  assert.deepEqual(stale, { status: 409, contentType: 'text/x.tlog.size', body: '8\n' });
  const fresh = witness();
  const unknown = await fresh.addCheckpoint(
    formatAddCheckpointBody(8, grown.consistencyProof(8, 20), note(grown)),
  );
  assert.deepEqual([unknown.status, unknown.body], [409, '0\n']);
});

test('tlog-witness "add-checkpoint": 422 for a consistency proof that does not verify, state unchanged', async () => {
  const saved: WitnessState[] = [];
  const w = witness(saved);
  await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown, 8)));
  const proof = grown.consistencyProof(8, 20);
  proof[0] = leafHash(Buffer.from('forged'));
  const bad = await w.addCheckpoint(formatAddCheckpointBody(8, proof, note(grown)));
  assert.equal(bad.status, 422);
  const short = await w.addCheckpoint(formatAddCheckpointBody(8, proof.slice(1), note(grown)));
  assert.equal(short.status, 422);
  // A proof after "old 0" is refused too: "the consistency proof MUST be empty".
  const fresh = witness();
  const proofFromZero = await fresh.addCheckpoint(formatAddCheckpointBody(0, proof, note(grown)));
  assert.equal(proofFromZero.status, 422);
  assert.equal(saved.length, 1);
  assert.equal(w.state.logs[ORIGIN].size, 8);
});

test('tlog-witness "add-checkpoint": fork (same size, different root) is 422; a forked tree cannot prove consistency', async () => {
  const w = witness();
  await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown, 8)));
  const fork = tree(20, 'fork ');
  const same = await w.addCheckpoint(formatAddCheckpointBody(8, [], note(fork, 8)));
  assert.equal(same.status, 422);
  const bigger = await w.addCheckpoint(
    formatAddCheckpointBody(8, fork.consistencyProof(8, 20), note(fork)),
  );
  assert.equal(bigger.status, 422);
  assert.equal(w.state.logs[ORIGIN].root_hash, Buffer.from(grown.root(8)).toString('base64'));
});

test('tlog-witness "add-checkpoint": rollback to a smaller tree is refused (400 old > size, or 409)', async () => {
  const w = witness();
  await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown)));
  const older = await w.addCheckpoint(formatAddCheckpointBody(20, [], note(grown, 8)));
  assert.equal(older.status, 400);
  const pretend = await w.addCheckpoint(formatAddCheckpointBody(8, [], note(grown, 8)));
  assert.deepEqual([pretend.status, pretend.body], [409, '20\n']);
  const restart = await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown, 8)));
  assert.deepEqual([restart.status, restart.body], [409, '20\n']);
  assert.equal(w.state.logs[ORIGIN].size, 20);
});

test('tlog-witness "add-checkpoint": 403 for a bad or missing log signature, 404 for an unknown origin', async () => {
  const w = witness();
  const text = formatCheckpoint({ origin: ORIGIN, size: 8, rootHash: grown.root(8) });
  // Signed by a key with the log's name but another key: ignored as unknown, so unsigned.
  assert.equal(
    (await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown, 8, impostor)))).status,
    403,
  );
  // The log's key name and ID, with a signature that does not verify.
  const good = note(grown, 8);
  const split = good.lastIndexOf('\n\n') + 2;
  const forged = good.slice(0, split) + forge(good.slice(split));
  assert.notEqual(forged, good);
  assert.equal((await w.addCheckpoint(formatAddCheckpointBody(0, [], forged))).status, 403);
  const other = signNote(
    formatCheckpoint({ origin: 'other.example.com/log', size: 8, rootHash: grown.root(8) }),
    parseNoteSignerKey(otherLog.signerKey),
  );
  const unknown = await w.addCheckpoint(formatAddCheckpointBody(0, [], other));
  assert.equal(unknown.status, 404);
  assert.equal(text.length > 0, true);
  assert.deepEqual(w.state.logs, {});
});

test('tlog-witness "add-checkpoint": malformed bodies are 400', async () => {
  const w = witness();
  const good = note(grown, 8);
  for (const body of [
    '',
    good,
    `old 01\n\n${good}`,
    `old -1\n\n${good}`,
    `old 0\nnot base64\n\n${good}`,
    `old 0\n${'A'.repeat(44)}\n\n${good}`,
    `old 0\n${Buffer.alloc(31).toString('base64')}\n\n${good}`,
    `old 0\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n${good}`,
    `old 0\n\n${good.replace('\n\n', '\n')}`,
    `old 0\n\nno checkpoint here\n\n\u2014 x AAAAAAA=\n`,
    Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0x30, 0x0a, 0x0a, 0xff]),
  ]) {
    const res = await w.addCheckpoint(body);
    assert.equal(res.status, 400, JSON.stringify(body.toString()));
  }
  assert.deepEqual(w.state.logs, {});
  assert.equal('malformed' in parseAddCheckpointBody(`old 0\n\n${good}`), false);
});

test('tlog-witness "add-checkpoint": a size-0 checkpoint must have the empty root (422)', async () => {
  const w = witness();
  const wrong = signNote(
    formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: grown.root(1) }),
    logSigner,
  );
  assert.equal((await w.addCheckpoint(formatAddCheckpointBody(0, [], wrong))).status, 422);
  const empty = signNote(
    formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: createHash('sha256').digest() }),
    logSigner,
  );
  assert.equal((await w.addCheckpoint(formatAddCheckpointBody(0, [], empty))).status, 200);
});

test('tlog-witness: check-and-persist is atomic, so racing requests cannot roll the state back', async () => {
  const w = witness();
  await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown, 4)));
  const [a, b] = await Promise.all([
    w.addCheckpoint(formatAddCheckpointBody(4, grown.consistencyProof(4, 20), note(grown))),
    w.addCheckpoint(formatAddCheckpointBody(4, grown.consistencyProof(4, 8), note(grown, 8))),
  ]);
  assert.deepEqual([a.status, b.status, b.body], [200, 409, '20\n']);
  assert.equal(w.state.logs[ORIGIN].size, 20);
});

test('tlog-witness "Monitor Retrieval Mechanism": GET <origin hash>/checkpoint has both signatures', async () => {
  const w = witness();
  const hash = createHash('sha256').update(ORIGIN).digest('hex');
  assert.equal(w.checkpoint(hash).status, 404);
  await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown)));
  const res = w.checkpoint(hash);
  assert.equal(res.status, 200);
  const opened = openNote(res.body, [
    parseNoteVerifierKey(logKey.verifierKey),
    parseCosignerVerifierKey(wKey.verifierKey),
  ]);
  assert.equal(opened.signatures.length, 2);
  assert.deepEqual(parseWitnessState(JSON.stringify(w.state)), w.state);
});

test('tlog-witness: a store that cannot persist answers 500 and cosigns nothing', async () => {
  const w = new Witness({
    signer: parseCosignerKey(wKey.signerKey, () => NOW),
    logKeys: [logKey.verifierKey],
    store: { save: () => Promise.reject(new Error('disk full')) },
  });
  const res = await w.addCheckpoint(formatAddCheckpointBody(0, [], note(grown)));
  assert.equal(res.status, 500);
  assert.doesNotMatch(res.body, /\u2014/);
  assert.deepEqual(w.state.logs, {});
});
