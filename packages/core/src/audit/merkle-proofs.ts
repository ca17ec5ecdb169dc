import { AuditError } from './audit-error.js';
import {
  consistencyProofPlan,
  flattenPlan,
  foldPlan,
  foldSubtrees,
  inclusionProofPlan,
  isTreeSize,
  rootPlan,
} from './merkle-tree-math.js';
import type { ProofPlan } from './merkle-tree-math.js';
import { readSubtrees } from './tree-hash-source.js';
import type { TreeHashSource } from './tree-hash-source.js';

/**
 * MTH(D[size]) (RFC 9162 §2.1.1) for any historical size ≤ source.size, from the O(log n)
 * perfect subtrees that compose it.
 */
export async function treeRoot(
  source: TreeHashSource,
  size: number = source.size,
): Promise<Uint8Array> {
  checkSize(source, size);
  return foldSubtrees(await readSubtrees(source, rootPlan(size)));
}

/** PATH(index, D[size]), RFC 9162 §2.1.3.1: the inclusion proof of leaf `index` in tree `size`. */
export async function inclusionProof(
  source: TreeHashSource,
  index: number,
  size: number = source.size,
): Promise<Uint8Array[]> {
  checkSize(source, size);
  return materialize(source, inclusionProofPlan(index, size));
}

/**
 * PROOF(size1, D[size2]), RFC 9162 §2.1.4.1: proves the tree of size1 is a prefix of the tree of
 * size2. Requires 0 < size1 ≤ size2 ≤ source.size; equal sizes give the empty proof.
 */
export async function consistencyProof(
  source: TreeHashSource,
  size1: number,
  size2: number = source.size,
): Promise<Uint8Array[]> {
  checkSize(source, size2);
  return materialize(source, consistencyProofPlan(size1, size2));
}

async function materialize(source: TreeHashSource, plan: ProofPlan): Promise<Uint8Array[]> {
  return foldPlan(plan, await readSubtrees(source, flattenPlan(plan)));
}

function checkSize(source: TreeHashSource, size: number): void {
  if (!isTreeSize(size) || size > source.size) {
    throw new AuditError(
      'tree_size_out_of_range',
      `tree size ${String(size)} is beyond the log's ${source.size} entries`,
    );
  }
}
