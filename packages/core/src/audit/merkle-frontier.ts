import { AuditError } from './audit-error.js';
import { HASH_SIZE, nodeHash } from './merkle-hash.js';
import { foldSubtrees, isTreeSize, rootPlan } from './merkle-tree-math.js';
import type { SubtreeRef } from './merkle-tree-math.js';
import { readSubtrees } from './tree-hash-source.js';
import type { TreeHashSource } from './tree-hash-source.js';

/**
 * The right edge of the tree (a "compact range" in transparency-dev terms): the roots of the
 * perfect subtrees that make up the first `size` leaves, one per set bit of `size`, largest
 * (leftmost) first. It is all an appender needs to keep in memory: O(log n) hashes.
 */
export interface MerkleFrontier {
  readonly size: number;
  readonly hashes: readonly Uint8Array[];
}

/** A perfect subtree that became complete, to persist as a `(level, index, hash)` row. */
export interface CompletedSubtree extends SubtreeRef {
  readonly hash: Uint8Array;
}

export const EMPTY_FRONTIER: MerkleFrontier = Object.freeze({ size: 0, hashes: Object.freeze([]) });

/**
 * Appends one leaf hash. Returns the new frontier and every subtree the append completed: the
 * leaf itself (level 0) and one parent per carry. Persisting those rows is what lets any
 * historical root or proof be rebuilt later from O(log n) reads (see merkle-proofs.ts).
 */
export function appendToFrontier(
  frontier: MerkleFrontier,
  leafHash: Uint8Array,
): { frontier: MerkleFrontier; completed: CompletedSubtree[] } {
  checkFrontier(frontier);
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
    throw new AuditError('internal', 'a leaf hash is 32 bytes');
  }
  const hashes = frontier.hashes.slice();
  let hash = leafHash;
  let level = 0;
  let index = frontier.size;
  const completed: CompletedSubtree[] = [{ level, index, hash }];
  // The trailing one bits of the old size are complete subtrees of levels 0, 1, 2… at the end
  // of the frontier; the new leaf merges with each of them in turn.
  while (index % 2 === 1) {
    hash = nodeHash(hashes.pop()!, hash);
    level++;
    index = (index - 1) / 2;
    completed.push({ level, index, hash });
  }
  hashes.push(hash);
  return { frontier: { size: frontier.size + 1, hashes }, completed };
}

/** MTH(D[size]) from the frontier: fold its subtrees right to left (RFC 9162 §2.1.1). */
export function rootFromFrontier(frontier: MerkleFrontier): Uint8Array {
  checkFrontier(frontier);
  return foldSubtrees(frontier.hashes);
}

/** Rebuilds the frontier of any size ≤ source.size from stored subtrees (e.g. at startup). */
export async function frontierFromSource(
  source: TreeHashSource,
  size: number = source.size,
): Promise<MerkleFrontier> {
  if (!isTreeSize(size) || size > source.size) {
    throw new AuditError('tree_size_out_of_range', `tree size ${String(size)} is beyond the log`);
  }
  return { size, hashes: await readSubtrees(source, rootPlan(size)) };
}

// A frontier may come back from storage: check it matches its size before trusting it.
function checkFrontier(frontier: MerkleFrontier): void {
  const ok =
    isTreeSize(frontier.size) &&
    frontier.hashes.length === rootPlan(frontier.size).length &&
    frontier.hashes.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE);
  if (!ok) throw new AuditError('internal', `frontier does not match its size ${frontier.size}`);
}
