import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRoot, leafHash, nodeHash } from './merkle-hash.js';
import { MemoryMerkleTree } from './memory-merkle-tree.js';
import { verifyConsistency } from './verify-consistency.js';
import { verifyInclusion } from './verify-inclusion.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Buffer.from(s, 'hex');

// The RFC 6962 reference tree: the eight test leaves and their roots for sizes 1..8, as published
// in google/trillian merkle/log_verifier_test.go and certificate-transparency-go (hex).
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

test('the empty tree hashes to SHA-256 of the empty string', () => {
  assert.equal(
    hex(emptyRoot()),
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  );
  assert.equal(hex(new MemoryMerkleTree().root()), hex(emptyRoot()));
});

test('leaves and nodes are domain-separated (0x00 / 0x01 prefixes)', () => {
  // MTH({d}) for the empty entry is SHA-256(0x00), the first reference root.
  assert.equal(hex(leafHash(new Uint8Array(0))), ROOTS[0]);
  const a = leafHash(unhex(''));
  const b = leafHash(unhex('00'));
  assert.equal(hex(nodeHash(a, b)), ROOTS[1]);
  // A node's preimage is never a leaf's preimage.
  assert.notEqual(hex(leafHash(Buffer.concat([a, b]))), hex(nodeHash(a, b)));
});

test('the RFC 6962 reference tree has the published roots for sizes 1..8', () => {
  const tree = new MemoryMerkleTree();
  LEAVES.forEach((leaf, i) => {
    tree.appendEntry(leaf);
    assert.equal(hex(tree.root()), ROOTS[i], `root of size ${i + 1}`);
  });
  ROOTS.forEach((root, i) => assert.equal(hex(tree.root(i + 1)), root));
});

// Inclusion and consistency proofs for the same tree, from the same trillian test file.
// [leaf index (0-based), tree size, proof]
const INCLUSION: [number, number, string[]][] = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
// [size1, size2, proof]
const CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

test('the reference tree yields the published inclusion proofs, and they verify', () => {
  const tree = new MemoryMerkleTree(LEAVES.map(leafHash));
  for (const [index, size, proof] of INCLUSION) {
    assert.deepEqual(tree.inclusionProof(index, size).map(hex), proof, `PATH(${index}, ${size})`);
    const root = unhex(ROOTS[size - 1]);
    assert.equal(
      verifyInclusion(leafHash(LEAVES[index]), index, size, proof.map(unhex), root),
      true,
    );
  }
});

test('the reference tree yields the published consistency proofs, and they verify', () => {
  const tree = new MemoryMerkleTree(LEAVES.map(leafHash));
  for (const [size1, size2, proof] of CONSISTENCY) {
    assert.deepEqual(
      tree.consistencyProof(size1, size2).map(hex),
      proof,
      `PROOF(${size1}, ${size2})`,
    );
    const [root1, root2] = [unhex(ROOTS[size1 - 1]), unhex(ROOTS[size2 - 1])];
    assert.equal(verifyConsistency(size1, size2, proof.map(unhex), root1, root2), true);
  }
});
