import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditError } from './audit-error.js';
import { leafHash } from './merkle-hash.js';
import {
  appendToFrontier,
  EMPTY_FRONTIER,
  frontierFromSource,
  rootFromFrontier,
} from './merkle-frontier.js';
import type { MerkleFrontier } from './merkle-frontier.js';
import { consistencyProof, inclusionProof, treeRoot } from './merkle-proofs.js';
import { MemoryMerkleTree } from './memory-merkle-tree.js';
import type { TreeHashSource } from './tree-hash-source.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('1000 appends through the frontier: every root, and every root rebuilt from stored rows, matches', async () => {
  const tree = new MemoryMerkleTree();
  // What the server would keep: a (level, index) → hash table of completed subtrees.
  const rows = new Map<string, Uint8Array>();
  let frontier: MerkleFrontier = EMPTY_FRONTIER;
  assert.equal(hex(rootFromFrontier(frontier)), hex(tree.root()));
  for (let i = 0; i < 1000; i++) {
    const leaf = leafHash(Buffer.from(JSON.stringify({ seq: i, event: 'voted' })));
    const result = appendToFrontier(frontier, leaf);
    frontier = result.frontier;
    tree.append(leaf);
    for (const node of result.completed) {
      const key = `${node.level}/${node.index}`;
      assert.ok(!rows.has(key), `subtree ${key} completed twice`);
      assert.equal(hex(node.hash), hex(tree.subtreeHash(node.level, node.index)));
      rows.set(key, node.hash);
    }
    assert.equal(frontier.size, i + 1);
    assert.equal(hex(rootFromFrontier(frontier)), hex(tree.root()), `root of size ${i + 1}`);
  }
  // Every complete subtree was emitted exactly once: 2n - popcount(n) rows for n leaves.
  assert.equal(rows.size, 2 * 1000 - 6);

  const source: TreeHashSource = {
    size: 1000,
    subtreeHash: async (level, index) => {
      await Promise.resolve();
      const hash = rows.get(`${level}/${index}`);
      if (!hash) throw new Error(`no stored subtree ${level}/${index}`);
      return hash;
    },
  };
  for (let size = 0; size <= 1000; size++) {
    assert.equal(
      hex(await treeRoot(source, size)),
      hex(tree.root(size)),
      `stored root of size ${size}`,
    );
  }
  for (const [index, size] of [
    [0, 1],
    [999, 1000],
    [511, 513],
    [300, 777],
  ] as const) {
    assert.deepEqual(
      (await inclusionProof(source, index, size)).map(hex),
      tree.inclusionProof(index, size).map(hex),
    );
  }
  for (const [size1, size2] of [
    [1, 1000],
    [512, 1000],
    [999, 1000],
    [300, 777],
  ] as const) {
    assert.deepEqual(
      (await consistencyProof(source, size1, size2)).map(hex),
      tree.consistencyProof(size1, size2).map(hex),
    );
  }
  // After a restart the frontier is rebuilt from the rows and carries on identically.
  const rebuilt = await frontierFromSource(source);
  assert.deepEqual(rebuilt.hashes.map(hex), frontier.hashes.map(hex));
  const next = leafHash(Buffer.from('after restart'));
  tree.append(next);
  assert.equal(hex(rootFromFrontier(appendToFrontier(rebuilt, next).frontier)), hex(tree.root()));
});

test('a frontier that does not match its size is refused', () => {
  const leaf = leafHash(Buffer.from('x'));
  const bad = { size: 3, hashes: [leaf] };
  assert.throws(
    () => rootFromFrontier(bad),
    (e) => e instanceof AuditError && e.code === 'internal',
  );
  assert.throws(() => appendToFrontier(bad, leaf), AuditError);
  assert.throws(() => appendToFrontier(EMPTY_FRONTIER, new Uint8Array(8)), AuditError);
});

test('a frontier cannot be rebuilt beyond the stored tree', async () => {
  const tree = new MemoryMerkleTree([leafHash(Buffer.from('a'))]);
  await assert.rejects(
    frontierFromSource(tree, 2),
    (e) => e instanceof AuditError && e.code === 'tree_size_out_of_range',
  );
});
