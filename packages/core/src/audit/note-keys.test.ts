import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditError } from './audit-error.js';
import {
  formatKeyId,
  generateNoteKey,
  noteKeyId,
  parseNoteSignerKey,
  parseNoteVerifierKey,
} from './note-keys.js';

// The example key of golang.org/x/mod/sumdb/note (the reference implementation), used as data.
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const keyInvalid = (e: unknown): boolean =>
  e instanceof AuditError && e.code === 'note_key_invalid';

test('the Go reference keys parse, with key ID c74f20a3, and the signer derives the verifier', () => {
  const verifier = parseNoteVerifierKey(GO_VKEY);
  assert.equal(verifier.name, 'PeterNeumann');
  assert.equal(formatKeyId(verifier.keyId), 'c74f20a3');
  assert.equal(verifier.verifierKey, GO_VKEY);
  assert.equal(noteKeyId('PeterNeumann', verifier.publicKey), 0xc74f20a3);
  const signer = parseNoteSignerKey(GO_SKEY);
  assert.equal(signer.keyId, 0xc74f20a3);
  assert.equal(signer.verifierKey, GO_VKEY);
  const message = Buffer.from('hello\n');
  assert.equal(verifier.verify(message, signer.sign(message)), true);
  assert.equal(verifier.verify(Buffer.from('hullo\n'), signer.sign(message)), false);
  assert.equal(verifier.verify(message, new Uint8Array(63)), false);
});

test('generated keys round-trip and carry the name', () => {
  const { signerKey, verifierKey } = generateNoteKey('audit.example.com/countersign');
  assert.match(
    signerKey,
    /^PRIVATE\+KEY\+audit\.example\.com\/countersign\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/,
  );
  assert.match(verifierKey, /^audit\.example\.com\/countersign\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  const signer = parseNoteSignerKey(signerKey);
  const verifier = parseNoteVerifierKey(verifierKey);
  assert.equal(signer.verifierKey, verifierKey);
  assert.equal(signer.keyId, verifier.keyId);
  assert.equal(verifier.verify(Buffer.from('x'), signer.sign(Buffer.from('x'))), true);
  assert.notEqual(generateNoteKey('audit.example.com/countersign').verifierKey, verifierKey);
});

test('invalid key names are refused', () => {
  for (const name of [
    '',
    'a b',
    'a+b',
    'a\nb',
    'a\tb',
    'a\u00a0b',
    'a\u2003b',
    'a\u0085b',
    'a\u0000b',
    '\ud800',
  ]) {
    assert.throws(() => generateNoteKey(name), keyInvalid, JSON.stringify(name));
  }
  assert.throws(() => generateNoteKey(undefined as unknown as string), keyInvalid);
});

test('malformed verifier keys fail with note_key_invalid', () => {
  const [name, id, key] = [
    'PeterNeumann',
    'c74f20a3',
    'ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  ];
  const raw = Buffer.from(key, 'base64');
  const bad = [
    '',
    name,
    `${name}+${id}`,
    `${name}+${id}+`,
    `+${id}+${key}`,
    `Peter Neumann+${id}+${key}`,
    `${name}+c74f20a4+${key}`, // wrong ID
    `${name}+C74F20A3+${key}`, // IDs are lower-case hex
    `${name}+c74f20a+${key}`,
    `${name}+c74f20a3f+${key}`,
    `${name}+${id}+${key.slice(0, -1)}`, // unpadded
    `${name}+${id}+${key.replace('/', '_')}`, // URL-safe alphabet
    `${name}+${id}+ ${key}`,
    `${name}+${id}+${Buffer.concat([Buffer.of(2), raw.subarray(1)]).toString('base64')}`, // not Ed25519
    `${name}+${id}+${raw.subarray(0, 32).toString('base64')}`, // short key
    `${name}+${id}+${Buffer.concat([raw, Buffer.of(0)]).toString('base64')}`,
    `OtherName+${id}+${key}`,
  ];
  for (const k of bad) assert.throws(() => parseNoteVerifierKey(k), keyInvalid, k);
  assert.throws(() => parseNoteVerifierKey(null as unknown as string), keyInvalid);
});

test('malformed signer keys fail with note_key_invalid and never echo the secret', () => {
  const secret = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
  const bad = [
    `PeterNeumann+c74f20a3+${secret}`,
    `PRIVATE+KEY+PeterNeumann+c74f20a4+${secret}`,
    `PRIVATE+KEY+PeterNeumann+c74f20a3+${secret.slice(1)}`,
    `PRIVATE+KEY+Peter+c74f20a3+${secret}`,
    `private+key+PeterNeumann+c74f20a3+${secret}`,
    GO_VKEY,
  ];
  for (const k of bad) {
    assert.throws(
      () => parseNoteSignerKey(k),
      (e) => keyInvalid(e) && !(e as Error).message.includes(secret.slice(4, 20)),
      k,
    );
  }
});
