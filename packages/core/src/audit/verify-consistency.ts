import { AuditError } from './audit-error.js';
import { constantTimeEqual } from '../crypto/constant-time-equal.js';
import { nodeHash } from './merkle-hash.js';
import { consistencyProofPlan, isTreeSize } from './merkle-tree-math.js';
import { checkProofElements, half, malformedProof } from './proof-elements.js';

/**
 * Verifies that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2`
 * leaves with root `root2` (the log only appended), with the algorithm of RFC 9162 §2.1.4.2,
 * step by step. Returns `true` or throws an `AuditError`: `proof_malformed` when the arguments
 * cannot describe a proof, `consistency_proof_invalid` when the proof does not check out.
 *
 * Two cases the RFC leaves out (it assumes 0 < first < second), decided as
 * transparency-dev/merkle and its test vectors do: equal sizes need an empty proof and equal
 * roots; size1 = 0 is refused, since "consistent with the empty tree" proves nothing.
 *
 * @example
 * verifyConsistency(old.size, latest.size, proof, old.rootHash, latest.rootHash);
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): true {
  // Every argument may come straight from an untrusted response: check types at runtime.
  if (!isTreeSize(size1) || !isTreeSize(size2)) {
    throw malformedProof('tree sizes must be non-negative safe integers');
  }
  if (!(root1 instanceof Uint8Array) || !(root2 instanceof Uint8Array)) {
    throw malformedProof('the roots must be bytes');
  }
  if (size1 > size2) throw malformedProof(`size1 ${size1} is larger than size2 ${size2}`);
  if (size1 === 0) throw malformedProof('a consistency proof from the empty tree proves nothing');
  if (size1 === size2) {
    checkProofElements(proof, 0);
    if (!constantTimeEqual(root1, root2)) throw invalid();
    return true;
  }
  checkProofElements(proof, consistencyProofPlan(size1, size2).length);

  // 1. If consistency_path is an empty array, stop and fail the proof verification.
  //    (Unreachable: for size1 < size2 the expected length checked above is at least 1.)
  if (proof.length === 0) throw malformedProof('the consistency proof is empty');
  // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  // 3. Set fn to first - 1 and sn to second - 1.
  let fn = size1 - 1;
  let sn = size2 - 1;
  // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. Set both fr and sr to the first value in the consistency_path array.
  let fr = path[0];
  let sr = path[0];
  // 6. For each subsequent value c in the consistency_path array:
  for (const c of path.slice(1)) {
    // a. If sn is 0, then stop the iteration and fail the proof verification.
    if (sn === 0) throw invalid();
    // b. If LSB(fn) is set, or if fn is equal to sn, then:
    if (fn % 2 === 1 || fn === sn) {
      // i. Set fr to HASH(0x01 || c || fr). ii. Set sr to HASH(0x01 || c || sr).
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either
      //      LSB(fn) is set or fn is 0.
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      // Otherwise: i. Set sr to HASH(0x01 || sr || c).
      sr = nodeHash(sr, c);
    }
    // c. Finally, right-shift both fn and sn one time.
    fn = half(fn);
    sn = half(sn);
  }
  // 7. Verify that fr equals first_hash, that sr equals second_hash, and that sn is 0.
  if (sn !== 0 || !constantTimeEqual(fr, root1) || !constantTimeEqual(sr, root2)) throw invalid();
  return true;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function invalid(): AuditError {
  return new AuditError('consistency_proof_invalid', 'the consistency proof does not check out');
}
