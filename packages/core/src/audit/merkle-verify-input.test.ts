import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditError } from './audit-error.js';
import { leafHash } from './merkle-hash.js';
import { MemoryMerkleTree } from './memory-merkle-tree.js';
import { verifyConsistency } from './verify-consistency.js';
import { verifyInclusion } from './verify-inclusion.js';

// Proofs, sizes and roots arrive as parsed JSON from a server the auditor does not trust. Call
// the verifiers the way untyped JavaScript could, and require our typed error every time.
const tree = new MemoryMerkleTree(Array.from({ length: 10 }, (_, i) => leafHash(Buffer.of(i))));
const leaf = tree.subtreeHash(0, 3);
const proof = tree.inclusionProof(3, 10);
const root = tree.root(10);
const root6 = tree.root(6);
const cproof = tree.consistencyProof(6, 10);
const untyped = <T>(v: unknown): T => v as T;
const malformed = (e: unknown): boolean => e instanceof AuditError && e.code === 'proof_malformed';

test('inclusion verification refuses junk with proof_malformed, never a TypeError', () => {
  assert.equal(verifyInclusion(leaf, 3, 10, proof, root), true);
  const bad: [unknown, unknown, unknown, unknown, unknown][] = [
    [leaf, -1, 10, proof, root],
    [leaf, 3.5, 10, proof, root],
    [leaf, '3', 10, proof, root],
    [leaf, 3, Number.NaN, proof, root],
    [leaf, 3, Infinity, proof, root],
    [leaf, 3, 2 ** 53, proof, root],
    [leaf, 3, 10n, proof, root],
    [leaf, 10, 10, proof, root],
    [null, 3, 10, proof, root],
    [leaf.subarray(1), 3, 10, proof, root],
    [Array.from(leaf), 3, 10, proof, root],
    [leaf, 3, 10, null, root],
    [leaf, 3, 10, 'proof', root],
    [leaf, 3, 10, { length: proof.length }, root],
    [leaf, 3, 10, proof.map((h) => Buffer.from(h).toString('base64')), root],
    [leaf, 3, 10, [...proof.slice(1), null], root],
    [leaf, 3, 10, proof, null],
    [leaf, 3, 10, proof, Buffer.from(root).toString('hex')],
  ];
  for (const args of bad) {
    assert.throws(
      () => verifyInclusion(...untyped<Parameters<typeof verifyInclusion>>(args)),
      malformed,
    );
  }
});

test('consistency verification refuses junk with proof_malformed, never a TypeError', () => {
  assert.equal(verifyConsistency(6, 10, cproof, root6, root), true);
  const bad: [unknown, unknown, unknown, unknown, unknown][] = [
    [-6, 10, cproof, root6, root],
    [6, 10.5, cproof, root6, root],
    ['6', 10, cproof, root6, root],
    [6, Number.NaN, cproof, root6, root],
    [0, 10, cproof, root6, root],
    [0, 0, [], root6, root6],
    [11, 10, cproof, root6, root],
    [6, 10, null, root6, root],
    [6, 10, [], root6, root],
    [6, 10, [...cproof, 'x'], root6, root],
    [6, 10, cproof.map((h) => h.subarray(1)), root6, root],
    [6, 10, cproof, undefined, root],
    [6, 10, cproof, root6, 'root'],
    [10, 10, cproof, root, root],
    [10, 10, undefined, root, root],
  ];
  for (const args of bad) {
    assert.throws(
      () => verifyConsistency(...untyped<Parameters<typeof verifyConsistency>>(args)),
      malformed,
    );
  }
});

test('a well-formed proof that does not check out has its own code', () => {
  const other = tree.root(9);
  assert.throws(
    () => verifyInclusion(leaf, 3, 10, proof, other),
    (e) => e instanceof AuditError && e.code === 'inclusion_proof_invalid',
  );
  assert.throws(
    () => verifyConsistency(6, 10, cproof, root6, other),
    (e) => e instanceof AuditError && e.code === 'consistency_proof_invalid',
  );
  assert.throws(
    () => verifyConsistency(10, 10, [], root, other),
    (e) => e instanceof AuditError && e.code === 'consistency_proof_invalid',
  );
});
