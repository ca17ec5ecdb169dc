import { AuditError } from './audit-error.js';
import { HASH_SIZE, leafHash, nodeHash } from './merkle-hash.js';
import {
  consistencyProofPlan,
  flattenPlan,
  foldPlan,
  foldSubtrees,
  inclusionProofPlan,
  isTreeSize,
  rootPlan,
} from './merkle-tree-math.js';
import type { ProofPlan, SubtreeRef } from './merkle-tree-math.js';
import type { TreeHashSource } from './tree-hash-source.js';

/**
 * An in-memory RFC 9162 Merkle tree that keeps every complete perfect subtree, level by level.
 * Append is O(1) amortised (O(log n) worst case: one node per carry), roots and proofs for any
 * size ≤ `size` read O(log n) stored hashes. It is also a synchronous `TreeHashSource`, used
 * by tests, the benchmark and offline verification (`countersign audit verify`).
 */
export class MemoryMerkleTree implements TreeHashSource {
  // levels[l] holds the hashes of the complete subtrees of 2^l leaves, left to right.
  private readonly levels: HashColumn[] = [new HashColumn()];

  constructor(leafHashes: Iterable<Uint8Array> = []) {
    for (const h of leafHashes) this.append(h);
  }

  get size(): number {
    return this.levels[0].length;
  }

  /** Appends a leaf hash (see `leafHash`) and returns its index. */
  append(hash: Uint8Array): number {
    if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
      throw new AuditError('internal', 'a leaf hash is 32 bytes');
    }
    const index = this.size;
    this.levels[0].push(hash);
    // Each odd index completes its parent: carry up like binary addition.
    let level = 0;
    let i = index;
    while (i % 2 === 1) {
      const column = this.levels[level];
      const parent = nodeHash(column.at(i - 1), column.at(i));
      level++;
      i = (i - 1) / 2;
      (this.levels[level] ??= new HashColumn()).push(parent);
    }
    return index;
  }

  /** Hashes an entry as a leaf (0x00 prefix) and appends it; returns its index. */
  appendEntry(entry: Uint8Array): number {
    return this.append(leafHash(entry));
  }

  subtreeHash(level: number, index: number): Uint8Array {
    const column = this.levels[level];
    if (!isTreeSize(index) || column === undefined || index >= column.length) {
      throw new AuditError('tree_size_out_of_range', `no complete subtree (${level}, ${index})`);
    }
    return Buffer.from(column.at(index)); // a copy: callers must not be able to edit the tree
  }

  /** MTH(D[size]) for any size ≤ this.size; the empty tree's root for 0. */
  root(size: number = this.size): Uint8Array {
    this.checkSize(size);
    return foldSubtrees(rootPlan(size).map((r) => this.subtreeHash(r.level, r.index)));
  }

  /** PATH(index, D[size]), RFC 9162 §2.1.3.1. */
  inclusionProof(index: number, size: number = this.size): Uint8Array[] {
    this.checkSize(size);
    return this.materialize(inclusionProofPlan(index, size));
  }

  /** PROOF(size1, D[size2]), RFC 9162 §2.1.4.1; requires 0 < size1 ≤ size2 ≤ this.size. */
  consistencyProof(size1: number, size2: number = this.size): Uint8Array[] {
    this.checkSize(size2);
    return this.materialize(consistencyProofPlan(size1, size2));
  }

  private materialize(plan: ProofPlan): Uint8Array[] {
    const read = (r: SubtreeRef): Uint8Array => this.subtreeHash(r.level, r.index);
    return foldPlan(plan, flattenPlan(plan).map(read));
  }

  private checkSize(size: number): void {
    if (!isTreeSize(size) || size > this.size) {
      throw new AuditError(
        'tree_size_out_of_range',
        `tree size ${String(size)} is beyond the tree's ${this.size} leaves`,
      );
    }
  }
}

/** 32-byte hashes packed in one growable buffer: 1M leaves cost 32 MB, not 1M objects. */
class HashColumn {
  private buffer = new Uint8Array(HASH_SIZE * 16);
  length = 0;

  push(hash: Uint8Array): void {
    const at = this.length * HASH_SIZE;
    if (at + HASH_SIZE > this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer.set(hash, at);
    this.length++;
  }

  /** A view, valid until the next push: internal use only. */
  at(index: number): Uint8Array {
    return this.buffer.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }
}
