import { AuditError } from './audit-error.js';
import { HASH_SIZE } from './merkle-hash.js';

/**
 * Proofs arrive from API responses and files an attacker may have written: check the shape at
 * runtime (an array of exactly `expected` 32-byte hashes) so that anything else fails with
 * `proof_malformed`, never with a TypeError deep in the hashing. RFC 9162's loops would also
 * reject a proof of the wrong length, but only as "invalid"; this says what is wrong.
 */
export function checkProofElements(
  proof: unknown,
  expected: number,
): asserts proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) throw malformedProof('the proof is not a list of hashes');
  if (proof.length !== expected) {
    throw malformedProof(`the proof has ${proof.length} hashes, expected ${expected}`);
  }
  for (const element of proof as unknown[]) {
    if (!(element instanceof Uint8Array) || element.length !== HASH_SIZE) {
      throw malformedProof('every proof element must be a 32-byte SHA-256 hash');
    }
  }
}

export function malformedProof(message: string): AuditError {
  return new AuditError('proof_malformed', message);
}

/** x >> 1 for any safe integer (the >> operator truncates to 32 bits). */
export function half(x: number): number {
  return Math.floor(x / 2);
}
