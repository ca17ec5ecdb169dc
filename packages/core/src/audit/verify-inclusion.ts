import { AuditError } from './audit-error.js';
import { constantTimeEqual } from '../crypto/constant-time-equal.js';
import { HASH_SIZE, nodeHash } from './merkle-hash.js';
import { inclusionProofPlan, isTreeSize } from './merkle-tree-math.js';
import { checkProofElements, half, malformedProof } from './proof-elements.js';

/**
 * Verifies that `leafHash` is leaf number `index` of the tree of `size` leaves whose root is
 * `root`, with the algorithm of RFC 9162 §2.1.3.2, step by step. Returns `true` or throws an
 * `AuditError`: `proof_malformed` when the arguments cannot describe a proof (index ≥ size,
 * a hash that is not 32 bytes, the wrong number of proof elements), `inclusion_proof_invalid`
 * when the proof does not lead to `root`.
 *
 * @example
 * verifyInclusion(leafHash(entry), 5, checkpoint.size, proof, checkpoint.rootHash);
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): true {
  // Every argument may come straight from an untrusted response: check types at runtime.
  if (!isTreeSize(index) || !isTreeSize(size)) {
    throw malformedProof('the leaf index and tree size must be non-negative safe integers');
  }
  // 1. If leaf_index is greater than or equal to tree_size, fail the proof verification.
  if (index >= size) throw malformedProof(`leaf index ${index} is not in a tree of size ${size}`);
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
    throw malformedProof('the leaf hash must be a 32-byte SHA-256 hash');
  }
  if (!(root instanceof Uint8Array)) throw malformedProof('the root must be bytes');
  checkProofElements(proof, inclusionProofPlan(index, size).length);

  // 2. Set fn to leaf_index and sn to tree_size - 1.
  let fn = index;
  let sn = size - 1;
  // 3. Set r to hash.
  let r = leafHash;
  // 4. For each value p in the inclusion_path array:
  for (const p of proof) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) throw invalid();
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (fn % 2 === 1 || fn === sn) {
      // i. Set r to HASH(0x01 || p || r).
      r = nodeHash(p, r);
      // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either
      //     LSB(fn) is set or fn is 0.
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: i. Set r to HASH(0x01 || r || p).
      r = nodeHash(r, p);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the
  //    root_hash are equal, then the log has proven the inclusion of hash.
  if (sn !== 0 || !constantTimeEqual(r, root)) throw invalid();
  return true;
}

function invalid(): AuditError {
  return new AuditError('inclusion_proof_invalid', 'the inclusion proof does not lead to the root');
}
