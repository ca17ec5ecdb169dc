import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditError } from './audit-error.js';
import { generateNoteKey, parseNoteSignerKey, parseNoteVerifierKey } from './note-keys.js';
import { MAX_NOTE_SIGNATURES, openNote, signNote } from './signed-note.js';

// Known answer from golang.org/x/mod/sumdb/note's documentation: Ed25519 is deterministic, so
// signing the same text with the same key must give exactly this note.
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT =
  'If you think cryptography is the answer to your problem,\n' +
  "then you don't know what your problem is.\n";
const GO_SIG =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const GO_NOTE = `${GO_TEXT}\n${GO_SIG}`;

const peter = parseNoteVerifierKey(GO_VKEY);
const other = generateNoteKey('witness.example.com/w1');
const witness = parseNoteSignerKey(other.signerKey);
const code = (c: string) => (e: unknown) => e instanceof AuditError && e.code === c;

test('signing reproduces the Go reference note byte for byte, and it opens', () => {
  assert.equal(signNote(GO_TEXT, parseNoteSignerKey(GO_SKEY)), GO_NOTE);
  const opened = openNote(GO_NOTE, [peter]);
  assert.equal(opened.text, GO_TEXT);
  assert.deepEqual(
    opened.signatures.map((s) => [s.name, s.keyId]),
    [['PeterNeumann', 0xc74f20a3]],
  );
  assert.deepEqual(opened.unverifiedSignatures, []);
  assert.equal(openNote(Buffer.from(GO_NOTE, 'utf8'), [peter]).text, GO_TEXT);
});

test('signatures by unknown keys are ignored, but one known signature is required', () => {
  const cosigned = GO_NOTE + signNote(GO_TEXT, witness).slice(GO_TEXT.length + 1);
  const opened = openNote(cosigned, [peter]);
  assert.equal(opened.signatures.length, 1);
  assert.deepEqual(
    opened.unverifiedSignatures.map((s) => s.name),
    ['witness.example.com/w1'],
  );
  assert.equal(
    openNote(cosigned, [peter, parseNoteVerifierKey(other.verifierKey)]).signatures.length,
    2,
  );
  assert.throws(() => openNote(GO_NOTE, []), code('note_unverified'));
  assert.throws(
    () => openNote(GO_NOTE, [parseNoteVerifierKey(other.verifierKey)]),
    code('note_unverified'),
  );
  // Same name, different key: still unknown, never tried against the wrong key.
  const impostor = parseNoteVerifierKey(generateNoteKey('PeterNeumann').verifierKey);
  assert.throws(() => openNote(GO_NOTE, [impostor]), code('note_unverified'));
});

test('a known key whose signature fails rejects the whole note', () => {
  assert.throws(
    () => openNote(GO_NOTE.replace('cryptography', 'Cryptography'), [peter]),
    code('note_signature_invalid'),
  );
  const badSig = GO_NOTE.replace('x08go/ZJ', 'x08go/ZK');
  assert.throws(() => openNote(badSig, [peter]), code('note_signature_invalid'));
  // A valid signature does not excuse a bad one from the same key.
  const twice = GO_NOTE + badSig.slice(GO_TEXT.length + 1);
  assert.throws(() => openNote(twice, [peter]), code('note_signature_invalid'));
  // An ambiguous verifier list is refused rather than guessed at.
  assert.throws(() => openNote(GO_NOTE, [peter, peter]), code('note_key_invalid'));
});

test('text may contain blank lines: the last blank line separates the signatures', () => {
  const text = 'first paragraph\n\nsecond paragraph\n';
  const note = signNote(text, witness);
  assert.equal(openNote(note, [parseNoteVerifierKey(other.verifierKey)]).text, text);
});

test('malformed notes fail with note_malformed, never a TypeError', () => {
  const sig = GO_SIG.slice(0, -1);
  const bad: unknown[] = [
    '',
    GO_TEXT,
    GO_NOTE.slice(0, -1), // no final newline
    `${GO_TEXT}${GO_SIG}`, // no blank line
    GO_NOTE.replaceAll('\n', '\r\n'),
    GO_NOTE.replace('\n\n', '\n\r\n'),
    `${GO_NOTE}\n`, // a blank line after the signatures
    GO_NOTE.replace('problem,', 'problem,\u0007'),
    GO_NOTE.replace('problem,', 'problem,\t'),
    GO_NOTE.replace('problem,', 'problem,\ud800'), // lone surrogate: not UTF-8
    GO_NOTE.replace('\u2014 ', '- '),
    GO_NOTE.replace('\u2014 ', '\u2013 '),
    GO_NOTE.replace('\u2014 ', '\u2014'),
    GO_NOTE.replace('\u2014 ', '\u2014  '),
    GO_NOTE.replace('PeterNeumann ', 'PeterNeumann'),
    GO_NOTE.replace('PeterNeumann', 'Peter+Neumann'),
    GO_NOTE.replace('PeterNeumann ', 'PeterNeumann  '),
    GO_NOTE.replace('AM=\n', 'AM\n'), // unpadded base64
    GO_NOTE.replace('x08go/', 'x08go_'), // URL-safe alphabet
    GO_NOTE.replace('AM=\n', 'AN=\n'), // non-canonical trailing bits
    GO_NOTE.replace('AM=\n', 'AM= \n'),
    `${GO_TEXT}\n\u2014 PeterNeumann x08g\n`, // fewer than 5 bytes
    `${GO_TEXT}\n\u2014 PeterNeumann \n`,
    `${GO_TEXT}\n${`${sig}\n`.repeat(MAX_NOTE_SIGNATURES + 1)}`,
    'x'.repeat(300 * 1024) + `\n\n${GO_SIG}`,
    Buffer.concat([Buffer.from(GO_TEXT), Buffer.of(0xff), Buffer.from(`\n\n${GO_SIG}`)]), // bad UTF-8
    Buffer.concat([Buffer.from(GO_TEXT), Buffer.of(0xc0, 0xaf), Buffer.from(`\n\n${GO_SIG}`)]), // overlong
    null,
    undefined,
    42,
    { text: GO_TEXT },
  ];
  for (const note of bad) {
    assert.throws(
      () => openNote(note as string, [peter]),
      code('note_malformed'),
      JSON.stringify(note)?.slice(0, 80),
    );
  }
});

test('signNote refuses text that could not be opened again', () => {
  const signer = parseNoteSignerKey(GO_SKEY);
  for (const text of ['', 'no newline', 'cr\r\n', 'nul\u0000\n', 'lone \udc00\n', 42, null]) {
    assert.throws(() => signNote(text as string, signer), code('note_malformed'), String(text));
  }
  assert.throws(() => signNote(GO_TEXT, []), code('note_malformed'));
  const many = signNote(GO_TEXT, [signer, witness]);
  assert.equal(openNote(many, [peter]).unverifiedSignatures.length, 1);
});

test('a repeated signature counts once; bad signers and verifier lists are refused', () => {
  const twice = GO_NOTE + GO_SIG;
  assert.equal(openNote(twice, [peter]).signatures.length, 1);
  const nameless = { ...parseNoteSignerKey(GO_SKEY), name: 'Peter Neumann' };
  assert.throws(() => signNote(GO_TEXT, nameless), code('note_malformed'));
  assert.throws(() => signNote('x'.repeat(300 * 1024) + '\n', witness), code('note_malformed'));
  assert.throws(() => openNote(GO_NOTE, peter as unknown as []), code('note_key_invalid'));
});
