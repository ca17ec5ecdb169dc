import { AuditError } from './audit-error.js';
import { HASH_SIZE } from './merkle-hash.js';
import type { SubtreeRef } from './merkle-tree-math.js';

/**
 * Where the log's perfect-subtree hashes live: `MemoryMerkleTree` in memory, the server's node
 * table in SQL. Methods may return a Promise so one interface serves both; the proof builders
 * in merkle-proofs.ts always await. Only complete subtrees (all leaves < `size`) are asked for,
 * so an append-only store can answer every root and proof for any size ≤ `size` in O(log n)
 * reads.
 */
export interface TreeHashSource {
  /** Number of leaves appended so far. */
  readonly size: number;
  /** Hash of the 2^level leaves starting at index·2^level (level 0: a leaf hash). */
  subtreeHash(level: number, index: number): Uint8Array | Promise<Uint8Array>;
  /**
   * Optional batch read of many subtrees, in order; when present the builders use it, so a
   * SQL store answers a whole proof with one `WHERE (level, idx) IN (…)` query.
   */
  subtreeHashes?(
    refs: readonly SubtreeRef[],
  ): readonly Uint8Array[] | Promise<readonly Uint8Array[]>;
}

/** Reads `refs` from a source and checks that it answered with 32-byte hashes. */
export async function readSubtrees(
  source: TreeHashSource,
  refs: readonly SubtreeRef[],
): Promise<Uint8Array[]> {
  const hashes = source.subtreeHashes
    ? await source.subtreeHashes(refs)
    : await Promise.all(refs.map(async (r) => source.subtreeHash(r.level, r.index)));
  if (hashes.length !== refs.length) {
    throw new AuditError(
      'internal',
      `hash source returned ${hashes.length} of ${refs.length} hashes`,
    );
  }
  return hashes.map((h, i) => {
    // A store that hands back anything else is corrupt or buggy: never build a proof on it.
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      const { level, index } = refs[i];
      throw new AuditError(
        'internal',
        `hash source returned a bad hash for subtree (${level}, ${index})`,
      );
    }
    return h;
  });
}
