import { AuditError } from './audit-error.js';
import { emptyRoot, nodeHash } from './merkle-hash.js';

/**
 * A perfect subtree of the log: the 2^level leaves starting at leaf index·2^level. Level 0 is a
 * single leaf hash. Once all its leaves exist a subtree's hash never changes, so these are the
 * rows the server persists, and every root and proof of RFC 9162 is a function of them.
 */
export interface SubtreeRef {
  readonly level: number;
  readonly index: number;
}

/**
 * What a proof is made of, before any hash is read: one entry per proof element, each the
 * perfect subtrees (left to right) whose fold is that element. Most elements are one perfect
 * subtree; at most one (on the tree's right edge) is a composite. Planning first lets a
 * database-backed source fetch every hash of a proof in one query.
 */
export type ProofPlan = readonly (readonly SubtreeRef[])[];

// Sizes and indexes are JS numbers checked to be safe integers (< 2^53). JS bitwise operators
// truncate to 32 bits, so shifts are Math.floor(x / 2) and the low bit is x % 2 throughout.

export function isTreeSize(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

/** k, the largest power of two smaller than n (n ≥ 2): the split of MTH, RFC 9162 §2.1.1. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The perfect subtrees that make up leaves [start, end), largest first. Requires `start` to be
 * aligned to the first one, which holds for every range the MTH recursion produces. O(log² n)
 * arithmetic, no hashing.
 */
export function rangeSubtrees(start: number, end: number): SubtreeRef[] {
  const refs: SubtreeRef[] = [];
  let pos = start;
  while (pos < end) {
    let width = 1;
    let level = 0;
    while (width * 2 <= end - pos) {
      width *= 2;
      level++;
    }
    if (pos % width !== 0) {
      throw new AuditError('internal', `leaf range [${start}, ${end}) is not subtree-aligned`);
    }
    refs.push({ level, index: pos / width });
    pos += width;
  }
  return refs;
}

/**
 * MTH of a range from its perfect subtrees, largest first: RFC 9162 §2.1.1 splits off the largest
 * power of two each time, so MTH = HASH(0x01 ‖ P1 ‖ HASH(0x01 ‖ P2 ‖ …)), folded right to left.
 * No subtrees at all is the empty tree.
 */
export function foldSubtrees(hashes: readonly Uint8Array[]): Uint8Array {
  let i = hashes.length - 1;
  if (i < 0) return emptyRoot();
  let h = hashes[i];
  while (--i >= 0) h = nodeHash(hashes[i], h);
  return h;
}

/** The subtrees whose fold is the root of the tree of `size` leaves (empty for size 0). */
export function rootPlan(size: number): SubtreeRef[] {
  if (!isTreeSize(size)) throw outOfRange(`tree size ${String(size)} is not a whole number`);
  return rangeSubtrees(0, size);
}

/**
 * PATH(m, D[n]) of RFC 9162 §2.1.3.1, walked top-down with absolute leaf offsets instead of
 * recursion, then reversed: the proof lists siblings from the leaf up.
 */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  if (!isTreeSize(size) || !isTreeSize(index) || index >= size) {
    throw outOfRange(`leaf index ${String(index)} is not in a tree of size ${String(size)}`);
  }
  const path: SubtreeRef[][] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      // PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])
      path.push(rangeSubtrees(start + k, end));
      end = start + k;
    } else {
      // PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])
      path.push(rangeSubtrees(start, start + k));
      start += k;
    }
  }
  return path.reverse();
}

/**
 * PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 §2.1.4.1, for 0 < m ≤ n (m = n is the
 * empty proof). Consistency from the empty tree is refused, as RFC 9162 §2.1.4.2 only defines
 * 0 < first and transparency-dev/merkle calls it meaningless.
 */
export function consistencyProofPlan(size1: number, size2: number): ProofPlan {
  if (!isTreeSize(size1) || !isTreeSize(size2) || size1 === 0 || size1 > size2) {
    throw outOfRange(`no consistency proof from size ${String(size1)} to ${String(size2)}`);
  }
  const proof: SubtreeRef[][] = [];
  // [start, end) is the current subtree of the new tree; the old tree ends at size1 inside it.
  let start = 0;
  let end = size2;
  let whole = true; // the b flag of SUBPROOF: still on the old tree's own root path
  while (size1 !== end) {
    const k = splitPoint(end - start);
    if (size1 <= start + k) {
      // SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
      proof.push(rangeSubtrees(start + k, end));
      end = start + k;
    } else {
      // SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
      proof.push(rangeSubtrees(start, start + k));
      start += k;
      whole = false;
    }
  }
  // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
  if (!whole) proof.push(rangeSubtrees(start, end));
  return proof.reverse();
}

function outOfRange(message: string): AuditError {
  return new AuditError('tree_size_out_of_range', message);
}

/** Every subtree a plan needs, in plan order: what a store reads (ideally in one query). */
export function flattenPlan(plan: ProofPlan): SubtreeRef[] {
  return plan.flat();
}

/** The proof elements of a plan, given the hashes of `flattenPlan(plan)` in the same order. */
export function foldPlan(plan: ProofPlan, flatHashes: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const element of plan) {
    out.push(foldSubtrees(flatHashes.slice(at, at + element.length)));
    at += element.length;
  }
  return out;
}
