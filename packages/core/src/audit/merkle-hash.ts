import { hash } from 'node:crypto';

/** Every hash in the log is SHA-256 (RFC 9162 §2.1: the log's hash algorithm; C2SP merkle-tree). */
export const HASH_SIZE = 32;

// Domain separation, RFC 6962 §2.1: leaves are hashed with a 0x00 prefix and interior nodes
// with 0x01, so a leaf can never be passed off as a node (second-preimage attack).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// One scratch buffer for node hashes: hash() copies its input synchronously, so reusing it is
// safe in single-threaded JS and saves an allocation per node (most of the cost at 1M leaves).
const nodeInput = Buffer.allocUnsafe(1 + 2 * HASH_SIZE);

/** MTH({d}) = SHA-256(0x00 ‖ d), RFC 6962 §2.1 / RFC 9162 §2.1.1. */
export function leafHash(entry: Uint8Array): Uint8Array {
  const input = Buffer.allocUnsafe(1 + entry.length);
  input[0] = LEAF_PREFIX;
  input.set(entry, 1);
  return hash('sha256', input, 'buffer');
}

/** SHA-256(0x01 ‖ left ‖ right), RFC 6962 §2.1 / RFC 9162 §2.1.1. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    // Proof elements are length-checked before they get here, but RFC 9162 §2.1.4.2 step 2
    // feeds the caller's first root into the chain as is: hash exactly what we were given.
    return hash('sha256', Buffer.concat([Buffer.of(NODE_PREFIX), left, right]), 'buffer');
  }
  nodeInput[0] = NODE_PREFIX;
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer');
}

/** MTH({}) = SHA-256(""), the root of the empty tree, RFC 9162 §2.1.1. */
export function emptyRoot(): Uint8Array {
  return hash('sha256', Buffer.alloc(0), 'buffer');
}
