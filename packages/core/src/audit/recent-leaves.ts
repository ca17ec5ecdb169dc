import { HASH_SIZE } from './merkle-hash.js';

/**
 * The leaf hashes of the last `capacity` lines read, in a ring. Enough to check `prev` links
 * and to tell an inserted line from a moved one nearby, without keeping the whole log in memory.
 */
export class RecentLeaves {
  readonly #ring: Buffer;
  #size = 0;

  constructor(readonly capacity = 1024) {
    this.#ring = Buffer.alloc(capacity * HASH_SIZE);
  }

  /** Records the leaf hash of line `index`; lines are pushed in order from 0. */
  push(index: number, leaf: Uint8Array): void {
    this.#ring.set(leaf, (index % this.capacity) * HASH_SIZE);
    this.#size = index + 1;
  }

  /** The leaf hash of line `index`, if it is still in the window. */
  get(index: number): Buffer | undefined {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#size) return undefined;
    if (index < this.#size - this.capacity) return undefined;
    const at = (index % this.capacity) * HASH_SIZE;
    return this.#ring.subarray(at, at + HASH_SIZE);
  }
}
