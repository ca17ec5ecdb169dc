import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditError, isAuditError } from './audit-error.js';
import { emptyRoot, leafHash, nodeHash } from './merkle-hash.js';
import { consistencyProof, inclusionProof, treeRoot } from './merkle-proofs.js';
import { MemoryMerkleTree } from './memory-merkle-tree.js';
import { rootPlan } from './merkle-tree-math.js';
import type { SubtreeRef } from './merkle-tree-math.js';
import type { TreeHashSource } from './tree-hash-source.js';
import { verifyConsistency } from './verify-consistency.js';
import { verifyInclusion } from './verify-inclusion.js';

const N = 64;
const leaves = Array.from({ length: N }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
const tree = new MemoryMerkleTree(leaves);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// A direct transcription of the RFC 9162 §2.1.1, §2.1.3.1 and §2.1.4.1 recursive definitions
// over slices of leaf hashes: slow and obviously right, to check the O(log n) builders against.
const split = (n: number): number => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return emptyRoot();
  if (d.length === 1) return d[0];
  const k = split(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = split(d.length);
  return m < k
    ? [...path(m, d.slice(0, k)), mth(d.slice(k))]
    : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = split(d.length);
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

function flip(proof: Uint8Array[], element: number, bit: number): Uint8Array[] {
  const copy = proof.map((h) => Buffer.from(h));
  copy[element][bit >> 3] ^= 1 << (bit & 7);
  return copy;
}
// Exhaustive bit flips while the tree is small, then the first, last and a middle bit.
const bitsToFlip = (size: number): number[] =>
  size <= 8 ? Array.from({ length: 256 }, (_, i) => i) : [0, 7, 131, 255];
const rejects = (fn: () => unknown): void =>
  assert.throws(fn, (e) => e instanceof AuditError && e.code !== 'internal');

test('roots for every size match the RFC definition', () => {
  for (let n = 0; n <= N; n++)
    assert.equal(hex(tree.root(n)), hex(mth(leaves.slice(0, n))), `size ${n}`);
});

test('every inclusion proof up to 64 leaves is PATH(m, D[n]), verifies, and breaks when touched', () => {
  for (let size = 1; size <= N; size++) {
    const root = tree.root(size);
    for (let index = 0; index < size; index++) {
      const proof = tree.inclusionProof(index, size);
      assert.deepEqual(proof.map(hex), path(index, leaves.slice(0, size)).map(hex));
      assert.equal(verifyInclusion(leaves[index], index, size, proof, root), true);
      for (let e = 0; e < proof.length; e++) {
        for (const bit of bitsToFlip(size)) {
          rejects(() => verifyInclusion(leaves[index], index, size, flip(proof, e, bit), root));
        }
      }
      for (const wrong of [index - 1, index + 1, index ^ 2, index ^ 1]) {
        if (wrong !== index)
          rejects(() => verifyInclusion(leaves[index], wrong, size, proof, root));
      }
      // The size only picks the proof's shape; the root commits to the content. A neighbour size
      // with the same shape (3 and 4 for leaf 0) verifies against the same root, which is why
      // size and root must come from one signed checkpoint. Doubling or halving never fits.
      for (const wrong of [size * 2, Math.floor(size / 2)]) {
        rejects(() => verifyInclusion(leaves[index], index, wrong, proof, root));
      }
      rejects(() => verifyInclusion(leaves[(index + 1) % N], index, size, proof, root));
      rejects(() => verifyInclusion(leaves[index], index, size, [...proof, root], root));
      rejects(() => verifyInclusion(leaves[index], index, size, [root, ...proof], root));
      if (proof.length > 0) {
        rejects(() => verifyInclusion(leaves[index], index, size, proof.slice(1), root));
        rejects(() => verifyInclusion(leaves[index], index, size, proof.slice(0, -1), root));
      }
    }
  }
});

test('every consistency proof up to 64 leaves is PROOF(m, D[n]), verifies, and breaks when touched', () => {
  for (let size2 = 1; size2 <= N; size2++) {
    const root2 = tree.root(size2);
    for (let size1 = 1; size1 <= size2; size1++) {
      const root1 = tree.root(size1);
      const proof = tree.consistencyProof(size1, size2);
      assert.deepEqual(proof.map(hex), subproof(size1, leaves.slice(0, size2), true).map(hex));
      assert.equal(verifyConsistency(size1, size2, proof, root1, root2), true);
      for (let e = 0; e < proof.length; e++) {
        for (const bit of bitsToFlip(size2)) {
          rejects(() => verifyConsistency(size1, size2, flip(proof, e, bit), root1, root2));
        }
      }
      if (size1 === size2) {
        rejects(() => verifyConsistency(size1, size2, [root1], root1, root2));
        continue;
      }
      for (const wrong of [size1 - 1, size1 + 1, size1 ^ 2]) {
        if (wrong !== size1) rejects(() => verifyConsistency(wrong, size2, proof, root1, root2));
      }
      for (const wrong of [size2 * 2, Math.floor(size2 / 2)]) {
        if (wrong !== size2) rejects(() => verifyConsistency(size1, wrong, proof, root1, root2));
      }
      rejects(() => verifyConsistency(size1, size2, proof, root2, root1));
      rejects(() => verifyConsistency(size1, size2, proof, tree.root(size1 - 1), root2));
      rejects(() => verifyConsistency(size1, size2, proof, root1, tree.root(size2 - 1)));
      rejects(() => verifyConsistency(size1, size2, [], root1, root2));
      rejects(() => verifyConsistency(size1, size2, [...proof, root1], root1, root2));
      rejects(() => verifyConsistency(size1, size2, [proof[0], ...proof], root1, root2));
      rejects(() => verifyConsistency(size1, size2, proof.slice(0, -1), root1, root2));
    }
  }
});

test('the async builders give the same answers over a database-like source', async () => {
  let reads = 0;
  // Behaves like a SQL table of completed subtrees: async, and only complete subtrees exist.
  const table = new Map<string, Uint8Array>();
  for (let level = 0; 2 ** level <= N; level++) {
    for (let index = 0; (index + 1) * 2 ** level <= N; index++) {
      table.set(`${level}/${index}`, tree.subtreeHash(level, index));
    }
  }
  const source: TreeHashSource = {
    size: N,
    subtreeHash: (level, index) => {
      reads++;
      const hash = table.get(`${level}/${index}`);
      return hash ? Promise.resolve(hash) : Promise.reject(new Error(`no row ${level}/${index}`));
    },
  };
  for (let size = 1; size <= N; size++) {
    assert.equal(hex(await treeRoot(source, size)), hex(tree.root(size)));
    for (let index = 0; index < size; index++) {
      const proof = await inclusionProof(source, index, size);
      assert.deepEqual(proof.map(hex), tree.inclusionProof(index, size).map(hex));
    }
    for (let size1 = 1; size1 <= size; size1++) {
      const proof = await consistencyProof(source, size1, size);
      assert.deepEqual(proof.map(hex), tree.consistencyProof(size1, size).map(hex));
    }
  }
  assert.ok(reads > 0);
  // A batch reader is used when present: one call per proof.
  let batches = 0;
  const batched: TreeHashSource = {
    size: N,
    subtreeHash: () => Promise.reject(new Error('should batch')),
    subtreeHashes: (refs: readonly SubtreeRef[]) => {
      batches++;
      return refs.map((r) => table.get(`${r.level}/${r.index}`)!);
    },
  };
  assert.deepEqual(
    (await inclusionProof(batched, 37, 61)).map(hex),
    tree.inclusionProof(37, 61).map(hex),
  );
  assert.equal(batches, 1);
});

test('a source returning something that is not a 32-byte hash is an internal error', async () => {
  const internal = (e: unknown): boolean => isAuditError(e) && e.code === 'internal';
  const broken: TreeHashSource = { size: 4, subtreeHash: () => new Uint8Array(31) };
  await assert.rejects(treeRoot(broken, 3), internal);
  const short: TreeHashSource = { size: 4, subtreeHash: () => leaves[0], subtreeHashes: () => [] };
  await assert.rejects(treeRoot(short, 3), internal);
});

test('asking for a size, index or subtree the tree does not have is tree_size_out_of_range', async () => {
  const out = (e: unknown): boolean =>
    e instanceof AuditError && e.code === 'tree_size_out_of_range';
  assert.throws(() => tree.root(N + 1), out);
  assert.throws(() => tree.root(-1), out);
  assert.throws(() => tree.root(1.5), out);
  assert.throws(() => rootPlan(-1), out);
  assert.throws(() => tree.inclusionProof(5, 5), out);
  assert.throws(() => tree.inclusionProof(0, 0), out);
  assert.throws(() => tree.inclusionProof(0, N + 1), out);
  assert.throws(() => tree.consistencyProof(0, 5), out);
  assert.throws(() => tree.consistencyProof(6, 5), out);
  assert.throws(() => tree.consistencyProof(1, N + 1), out);
  assert.throws(() => tree.subtreeHash(1, N / 2), out);
  assert.throws(() => tree.subtreeHash(7, 0), out);
  await assert.rejects(inclusionProof(tree, 0, N + 1), out);
});

test('appends validate their input and proofs do not alias the tree', () => {
  const t = new MemoryMerkleTree();
  assert.throws(() => t.append(new Uint8Array(31)), AuditError);
  assert.equal(t.append(leaves[0]), 0);
  assert.equal(t.appendEntry(Buffer.from('entry 1')), 1);
  assert.equal(hex(t.root()), hex(tree.root(2)));
  const proof = t.inclusionProof(0);
  proof[0].fill(0);
  t.subtreeHash(0, 1).fill(0);
  assert.equal(hex(t.root()), hex(tree.root(2)));
});
