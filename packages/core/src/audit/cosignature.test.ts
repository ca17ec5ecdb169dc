import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, verify } from 'node:crypto';
import { AuditError } from './audit-error.js';
import { formatCheckpoint } from './checkpoint.js';
import {
  cosignatureTime,
  cosignedMessage,
  cosignerKeyId,
  generateCosignerKey,
  parseCosignerKey,
  parseCosignerVerifierKey,
} from './cosignature.js';
import { generateNoteKey, parseNoteSignerKey, parseNoteVerifierKey } from './note-keys.js';
import { openNote, signNote } from './signed-note.js';

const T = 1_679_315_147; // the timestamp of the spec's example
const text = formatCheckpoint({
  origin: 'example.com/behind-the-sofa',
  size: 20852163,
  rootHash: Buffer.from('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=', 'base64'),
});
const log = generateNoteKey('example.com/behind-the-sofa');
const w1 = generateCosignerKey('witness.example.com/w1');
const code = (c: string) => (e: unknown) => e instanceof AuditError && e.code === c;

test('tlog-cosignature "Ed25519 signed message": header, time line, then the checkpoint body', () => {
  assert.equal(
    cosignedMessage(Buffer.from(text), BigInt(T)).toString('utf8'),
    'cosignature/v1\ntime 1679315147\n' +
      'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
  );
});

test('tlog-cosignature "Format": key ID is SHA-256(name ‖ "\\n" ‖ 0x04 ‖ key)[:4], vkey type 0x04', () => {
  const v = parseCosignerVerifierKey(w1.verifierKey);
  // The base64 may itself contain "+": split at the first two only.
  const [name, id] = w1.verifierKey.split('+') as [string, string];
  const b64 = w1.verifierKey.slice(name.length + id.length + 2);
  const raw = Buffer.from(b64, 'base64');
  assert.equal(raw[0], 0x04);
  const expected = createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`), Buffer.of(0x04), raw.subarray(1)]))
    .digest()
    .subarray(0, 4)
    .toString('hex');
  assert.equal(id, expected);
  assert.equal(cosignerKeyId(name, raw.subarray(1)), v.keyId);
  // A cosigner key is not a log key and the other way round: the type byte differs.
  assert.throws(() => parseNoteVerifierKey(w1.verifierKey), code('note_key_invalid'));
  assert.throws(() => parseCosignerVerifierKey(log.verifierKey), code('note_key_invalid'));
  assert.throws(() => parseNoteSignerKey(w1.signerKey), code('note_key_invalid'));
});

test('tlog-cosignature "Format": timestamped_signature is u64 big-endian time ‖ Ed25519 over the v1 message', () => {
  const signer = parseCosignerKey(w1.signerKey, () => T * 1000 + 999);
  const note = signNote(text, [parseNoteSignerKey(log.signerKey), signer]);
  const line = note.split('\n').find((l) => l.startsWith('\u2014 witness.example.com/w1 '))!;
  const raw = Buffer.from(line.split(' ')[2], 'base64');
  assert.equal(raw.length, 4 + 8 + 64);
  assert.equal(raw.readUInt32BE(0), parseCosignerVerifierKey(w1.verifierKey).keyId);
  assert.equal(raw.readBigUInt64BE(4), BigInt(T));
  assert.equal(cosignatureTime(line.split(' ')[2]), T);
  const pub = parseCosignerVerifierKey(w1.verifierKey).publicKey;
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]);
  assert.ok(
    verify(
      null,
      cosignedMessage(Buffer.from(text), BigInt(T)),
      { key: spki, format: 'der', type: 'spki' },
      raw.subarray(12),
    ),
  );
  const opened = openNote(note, [
    parseNoteVerifierKey(log.verifierKey),
    parseCosignerVerifierKey(w1.verifierKey),
  ]);
  assert.deepEqual(
    opened.signatures.map((s) => s.name),
    ['example.com/behind-the-sofa', 'witness.example.com/w1'],
  );
});

test('tlog-cosignature: a forged cosignature (changed time, body or signature) does not verify', () => {
  const v = parseCosignerVerifierKey(w1.verifierKey);
  const signer = parseCosignerKey(w1.signerKey, () => T * 1000);
  const sig = Buffer.from(signer.sign(Buffer.from(text)));
  assert.ok(v.verify(Buffer.from(text), sig));
  const later = Buffer.from(sig);
  later.writeBigUInt64BE(BigInt(T + 1), 0); // claims a later time
  assert.equal(v.verify(Buffer.from(text), later), false);
  assert.equal(v.verify(Buffer.from(text.replace('20852163', '20852164')), sig), false);
  const flipped = Buffer.from(sig);
  flipped[20] ^= 1;
  assert.equal(v.verify(Buffer.from(text), flipped), false);
  assert.equal(v.verify(Buffer.from(text), sig.subarray(0, 71)), false);
  const huge = Buffer.from(sig);
  huge.writeBigUInt64BE(1n << 63n, 0); // "MUST NOT exceed 2^63 - 1"
  assert.equal(v.verify(Buffer.from(text), huge), false);
  // A plain note signature by the same key is not a cosignature.
  assert.throws(
    () =>
      openNote(
        `${text}\n\u2014 witness.example.com/w1 ${Buffer.concat([Buffer.alloc(4), sig.subarray(8)]).toString('base64')}\n`,
        [v],
      ),
    code('note_unverified'),
  );
});

test('tlog-witness "add-checkpoint": a cosignature never omits its timestamp', () => {
  const signer = parseCosignerKey(w1.signerKey, () => 999);
  assert.throws(() => signer.sign(Buffer.from(text)), code('note_key_invalid'));
});
