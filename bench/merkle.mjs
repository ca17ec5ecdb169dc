// Audit-log Merkle benchmark. Prints one JSON line per measurement:
//   merkle.build         append 1,000,000 leaf hashes to a MemoryMerkleTree
//   merkle.inclusion     inclusion proof generation, averaged over 10,000 random leaves
//   merkle.verify_tree   what `audit verify` does with a full export: re-hash 1,000,000
//                        ~200-byte JSON entries as leaves and recompute the root
// Run after `npm run build`: node bench/merkle.mjs
import {
  MemoryMerkleTree,
  appendToFrontier,
  EMPTY_FRONTIER,
  leafHash,
  rootFromFrontier,
  verifyInclusion,
} from '../packages/core/dist/src/index.js';

const LEAVES = 1_000_000;
const PROOFS = 10_000;

// Deterministic PRNG (mulberry32) so runs are comparable.
let seed = 0x5eed;
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const line = (o) => console.log(JSON.stringify(o));
const ms = (t0) => Math.round((performance.now() - t0) * 10) / 10;

// ~200-byte audit entries, built before any timing starts.
const entries = new Array(LEAVES);
let bytes = 0;
for (let i = 0; i < LEAVES; i++) {
  const entry = Buffer.from(
    JSON.stringify({
      seq: i,
      type: 'vote.cast',
      request: `act_${hex(26)}`,
      actor: `user${i % 997}@example.com`,
      vote: i % 3 ? 'approve' : 'deny',
      at: new Date(1_750_000_000_000 + i * 1000).toISOString(),
      evidence: `sha256:${hex(64)}`,
    }),
  );
  bytes += entry.length;
  entries[i] = entry;
}
const leafHashes = entries.map((e) => leafHash(e));

// Build: append precomputed leaf hashes (node hashing and storage only).
let t0 = performance.now();
const tree = new MemoryMerkleTree();
for (const h of leafHashes) tree.append(h);
const root = tree.root();
line({
  name: 'merkle.build',
  leaves: LEAVES,
  ms: ms(t0),
  rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
});

// Inclusion proofs for random leaves in the full tree.
const indexes = Array.from({ length: PROOFS }, () => Math.floor(random() * LEAVES));
t0 = performance.now();
const proofs = indexes.map((i) => tree.inclusionProof(i));
const genMs = performance.now() - t0;
t0 = performance.now();
indexes.forEach((i, k) => verifyInclusion(leafHashes[i], i, LEAVES, proofs[k], root));
const verifyMs = performance.now() - t0;
line({
  name: 'merkle.inclusion',
  tree_size: LEAVES,
  proofs: PROOFS,
  proof_hashes: proofs[0].length,
  us_per_proof: Math.round((genMs / PROOFS) * 1000 * 100) / 100,
  us_per_verify: Math.round((verifyMs / PROOFS) * 1000 * 100) / 100,
});

// Whole-log verification from the raw entries: leaf hashes, then the root. An auditor only
// needs the frontier (O(log n) memory); the full tree is also measured since `audit verify`
// may want proofs afterwards.
t0 = performance.now();
let frontier = EMPTY_FRONTIER;
for (const e of entries) frontier = appendToFrontier(frontier, leafHash(e)).frontier;
const frontierRoot = rootFromFrontier(frontier);
const frontierMs = ms(t0);
t0 = performance.now();
const rebuilt = new MemoryMerkleTree();
for (const e of entries) rebuilt.appendEntry(e);
const treeRoot = rebuilt.root();
const treeMs = ms(t0);
if (
  !Buffer.from(frontierRoot).equals(Buffer.from(root)) ||
  !Buffer.from(treeRoot).equals(Buffer.from(root))
) {
  throw new Error('recomputed root differs');
}
line({
  name: 'merkle.verify_tree',
  entries: LEAVES,
  entry_bytes_avg: Math.round(bytes / LEAVES),
  ms: treeMs,
  entries_per_sec: Math.round(LEAVES / (treeMs / 1000)),
  frontier_ms: frontierMs,
});
