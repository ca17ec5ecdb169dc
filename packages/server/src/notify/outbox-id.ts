import { newId } from '@countersign/core';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // the alphabet of core's newId

/**
 * Outbox ids that strictly increase within this process, even within one millisecond (the
 * ULID "monotonic" rule: same millisecond → previous id + 1). The worker delivers a target's
 * rows for one request in id order, so a `voted` and a `decided` written in the same
 * millisecond must not swap places, or a chat message would be "updated" back to pending.
 */
export class MonotonicIds {
  #last = '';

  constructor(private readonly prefix: string) {}

  next(now: number): string {
    const fresh = newId(this.prefix, now);
    this.#last = fresh > this.#last ? fresh : increment(this.#last);
    return this.#last;
  }
}

/** The next string in base-32 order: the last digit + 1, carrying leftwards. */
function increment(id: string): string {
  const chars = id.split('');
  for (let i = chars.length - 1; i > id.indexOf('_'); i--) {
    const digit = ALPHABET.indexOf(chars[i]);
    if (digit < ALPHABET.length - 1) {
      chars[i] = ALPHABET[digit + 1];
      return chars.join('');
    }
    chars[i] = ALPHABET[0];
  }
  // 2^130 ids in one millisecond: not reachable.
  throw new Error('outbox id space exhausted');
}
