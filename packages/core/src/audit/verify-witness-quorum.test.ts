import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCheckpoint } from './checkpoint.js';
import { generateCosignerKey, parseCosignerKey } from './cosignature.js';
import { generateNoteKey, parseNoteSignerKey } from './note-keys.js';
import { signNote } from './signed-note.js';
import { verifyWitnessQuorum } from './verify-witness-quorum.js';

const ORIGIN = 'audit.example.com/countersign';
const log = generateNoteKey(ORIGIN);
const [w1, w2, w3] = [1, 2, 3].map((i) => generateCosignerKey(`witness.example.com/w${i}`)) as [
  ReturnType<typeof generateCosignerKey>,
  ReturnType<typeof generateCosignerKey>,
  ReturnType<typeof generateCosignerKey>,
];
const text = formatCheckpoint({ origin: ORIGIN, size: 3, rootHash: new Uint8Array(32).fill(7) });
const cosign = (w: { signerKey: string }) =>
  signNote(text, parseCosignerKey(w.signerKey)).slice(text.length + 1);
const logNote = signNote(text, parseNoteSignerKey(log.signerKey));
const check = (checkpoint: string, witnessKeys: string[], quorum: number) =>
  verifyWitnessQuorum({ checkpoint, verifierKeys: [log.verifierKey], witnessKeys, quorum });

test('tlog-cosignature: a quorum of distinct given witnesses passes', () => {
  const note = logNote + cosign(w1) + cosign(w2) + cosign(w3);
  const r = check(note, [w1.verifierKey, w2.verifierKey], 2);
  assert.equal(r.ok, true);
  assert.equal(r.ok && r.cosigned_by.length, 2);
});

test('tlog-cosignature: fails closed below the quorum; repeated lines or keys count once', () => {
  const note = logNote + cosign(w1) + cosign(w1);
  const r = check(note, [w1.verifierKey, w2.verifierKey, w1.verifierKey], 2);
  assert.deepEqual(r.ok ? 'ok' : r.code, 'witness_quorum_not_met');
  const none = check(logNote, [w1.verifierKey], 1);
  assert.deepEqual(none.ok ? 'ok' : none.code, 'witness_quorum_not_met');
  // Cosignatures by witnesses that were not given are ignored (tlog-witness "add-checkpoint").
  const others = check(logNote + cosign(w3), [w1.verifierKey], 1);
  assert.deepEqual(others.ok ? 'ok' : others.code, 'witness_quorum_not_met');
});

test('tlog-cosignature: a forged cosignature by a given witness rejects the checkpoint', () => {
  const line = cosign(w2);
  const forged = forge(line);
  assert.notEqual(forged, line);
  const r = check(logNote + cosign(w1) + forged, [w1.verifierKey, w2.verifierKey], 1);
  assert.deepEqual(r.ok ? 'ok' : r.code, 'cosignature_invalid');
  // Signed with w2's name but another key: not w2's (ignored), so no quorum either.
  const impostor = generateCosignerKey('witness.example.com/w2');
  const r2 = check(logNote + cosign(impostor), [w2.verifierKey], 1);
  assert.deepEqual(r2.ok ? 'ok' : r2.code, 'witness_quorum_not_met');
});

test('tlog-cosignature: witness cosignatures without the log signature do not pass', () => {
  const unsigned = `${text}\n${cosign(w1)}`;
  const r = check(unsigned, [w1.verifierKey], 1);
  assert.deepEqual(r.ok ? 'ok' : r.code, 'checkpoint_unverified');
  const q = check(logNote + cosign(w1), [w1.verifierKey], 2);
  assert.deepEqual(q.ok ? 'ok' : q.code, 'key_invalid');
  const k = check(logNote + cosign(w1), [log.verifierKey], 1);
  assert.deepEqual(k.ok ? 'ok' : k.code, 'key_invalid');
});

/** The same signature line with one bit of the signature itself flipped. */
function forge(line: string): string {
  const [dash, name, sig] = line.trimEnd().split(' ') as [string, string, string];
  const raw = Buffer.from(sig, 'base64');
  raw[raw.length - 10] ^= 1;
  return `${dash} ${name} ${raw.toString('base64')}\n`;
}
