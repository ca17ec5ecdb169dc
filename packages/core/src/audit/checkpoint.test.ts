import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditError } from './audit-error.js';
import { formatCheckpoint, openCheckpoint, parseCheckpoint } from './checkpoint.js';
import { generateNoteKey, parseNoteSignerKey, parseNoteVerifierKey } from './note-keys.js';
import { signNote } from './signed-note.js';

// The documented example (docs/audit.md): a public test key and the checkpoint of the RFC 6962
// reference tree at size 8. Ed25519 is deterministic, so this note is a known answer.
const DOC_SKEY =
  'PRIVATE+KEY+audit.example.com/countersign+7bbe489a+AfYnHDe4tsQ/sz6IDT8rVVr/dChH7oOTeVfI3XW9pKN3';
const DOC_VKEY =
  'audit.example.com/countersign+7bbe489a+AUsT10dpZCfqESzlIjiwUoSKKH09mwux41jFoTswEBAi';
const DOC_TEXT = 'audit.example.com/countersign\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n';
const DOC_NOTE =
  `${DOC_TEXT}\n\u2014 audit.example.com/countersign ` +
  'e75ImupEQjJDdlu30ibgJDDOQ7CDblxtO2TsCeRJfmkzU9ppsIH9BIji7eyqhtseBCxoUrC2j5bKcD5z8ASzo+Slpg8=\n';
const ROOT8 = Buffer.from(
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  'hex',
);

const signer = parseNoteSignerKey(DOC_SKEY);
const verifier = parseNoteVerifierKey(DOC_VKEY);
const code = (c: string) => (e: unknown) => e instanceof AuditError && e.code === c;

test('format and parse round-trip, with and without extension lines', () => {
  const text = formatCheckpoint({
    origin: 'audit.example.com/countersign',
    size: 8,
    rootHash: ROOT8,
  });
  assert.equal(text, DOC_TEXT);
  const cp = parseCheckpoint(text);
  assert.deepEqual(
    { ...cp, rootHash: Buffer.from(cp.rootHash).toString('hex') },
    {
      origin: 'audit.example.com/countersign',
      size: 8,
      rootHash: ROOT8.toString('hex'),
      extensions: [],
    },
  );
  const withExt = formatCheckpoint({
    origin: 'o',
    size: 0,
    rootHash: ROOT8,
    extensions: ['a b', 'c'],
  });
  assert.equal(withExt, `o\n0\n${ROOT8.toString('base64')}\na b\nc\n`);
  assert.deepEqual(parseCheckpoint(withExt).extensions, ['a b', 'c']);
  const big = formatCheckpoint({ origin: 'o', size: Number.MAX_SAFE_INTEGER, rootHash: ROOT8 });
  assert.equal(parseCheckpoint(big).size, Number.MAX_SAFE_INTEGER);
});

test('the C2SP tlog-checkpoint example text parses', () => {
  const cp = parseCheckpoint(
    'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n',
  );
  assert.equal(cp.origin, 'example.com/behind-the-sofa');
  assert.equal(cp.size, 20852163);
  assert.equal(cp.rootHash.length, 32);
});

test('the documented signed checkpoint is a known answer and opens', () => {
  assert.equal(signNote(DOC_TEXT, signer), DOC_NOTE);
  const { checkpoint, note } = openCheckpoint(DOC_NOTE, [verifier]);
  assert.equal(checkpoint.size, 8);
  assert.equal(Buffer.from(checkpoint.rootHash).toString('hex'), ROOT8.toString('hex'));
  assert.equal(note.signatures[0]?.name, 'audit.example.com/countersign');
});

test('changing the origin, size or root breaks the signature', () => {
  const tampered = [
    DOC_NOTE.replace('audit.example.com/countersign\n8', 'audit.example.org/countersign\n8'),
    DOC_NOTE.replace('\n8\n', '\n9\n'),
    DOC_NOTE.replace('XcnaeacG', 'XcnaeacH'),
    DOC_NOTE.replace('=\n\n', '=\nextension\n\n'),
  ];
  for (const note of tampered) {
    assert.throws(() => openCheckpoint(note, [verifier]), code('note_signature_invalid'), note);
  }
});

test('a checkpoint signed by an unknown key, or not by the log itself, is not accepted', () => {
  const stranger = generateNoteKey('audit.example.com/countersign');
  const forged = signNote(DOC_TEXT, parseNoteSignerKey(stranger.signerKey));
  assert.throws(() => openCheckpoint(forged, [verifier]), code('note_unverified'));
  // A key we trust, but for another name (a witness), cannot vouch for the log's checkpoint.
  const witness = generateNoteKey('witness.example.com/w1');
  const witnessed = signNote(DOC_TEXT, parseNoteSignerKey(witness.signerKey));
  const witnessVerifier = parseNoteVerifierKey(witness.verifierKey);
  assert.throws(
    () => openCheckpoint(witnessed, [verifier, witnessVerifier]),
    code('note_unverified'),
  );
});

test('malformed checkpoint text fails with checkpoint_malformed, never a TypeError', () => {
  const root = ROOT8.toString('base64');
  const bad: unknown[] = [
    '',
    '\n',
    `o\n8\n${root}`, // no final newline
    `o\r\n8\r\n${root}\r\n`,
    `o\n8\r\n${root}\n`,
    `o\n8\n${root}\n\n`, // extra blank line at the end
    `o\n\n8\n${root}\n`, // blank line inside
    `\no\n8\n${root}\n`,
    `o\n8\n${root}\n\next\n`,
    `o\n8\n`,
    `\n8\n${root}\n`, // empty origin
    `o\n08\n${root}\n`, // leading zero
    `o\n00\n${root}\n`,
    `o\n-1\n${root}\n`,
    `o\n+8\n${root}\n`,
    `o\n 8\n${root}\n`,
    `o\n8 \n${root}\n`,
    `o\n8.0\n${root}\n`,
    `o\n1e3\n${root}\n`,
    `o\n0x10\n${root}\n`,
    `o\n\uff18\n${root}\n`, // fullwidth digit
    `o\n9007199254740992\n${root}\n`, // 2^53
    `o\n${'9'.repeat(400)}\n${root}\n`,
    `o\n8\n${root.slice(0, -1)}\n`, // unpadded
    `o\n8\n${root.replace('/', '_')}\n`,
    `o\n8\n${ROOT8.subarray(1).toString('base64')}\n`, // 31 bytes
    `o\n8\n${Buffer.concat([ROOT8, Buffer.of(0)]).toString('base64')}\n`, // 33 bytes
    `o\n8\n${root.replace(/.=$/, 'h=')}\n`, // non-canonical last character
    `o\n8\n${ROOT8.toString('hex')}\n`,
    `o\u0000\n8\n${root}\n`,
    `o\ud800\n8\n${root}\n`,
    null,
    undefined,
    8,
    Buffer.from(DOC_TEXT),
  ];
  for (const text of bad) {
    assert.throws(
      () => parseCheckpoint(text as string),
      code('checkpoint_malformed'),
      JSON.stringify(text),
    );
  }
});

test('formatCheckpoint refuses values that would not parse back', () => {
  const bad: unknown[] = [
    { origin: '', size: 1, rootHash: ROOT8 },
    { origin: 'a\nb', size: 1, rootHash: ROOT8 },
    { origin: 'o', size: -1, rootHash: ROOT8 },
    { origin: 'o', size: 1.5, rootHash: ROOT8 },
    { origin: 'o', size: 2 ** 53, rootHash: ROOT8 },
    { origin: 'o', size: 1, rootHash: ROOT8.subarray(1) },
    { origin: 'o', size: 1, rootHash: ROOT8.toString('hex') },
    { origin: 'o', size: 1, rootHash: ROOT8, extensions: [''] },
    { origin: 'o', size: 1, rootHash: ROOT8, extensions: ['a\nb'] },
    { origin: 'o', size: 1, rootHash: ROOT8, extensions: 'ext' },
  ];
  for (const input of bad) {
    assert.throws(
      () => formatCheckpoint(input as Parameters<typeof formatCheckpoint>[0]),
      code('checkpoint_malformed'),
    );
  }
});
