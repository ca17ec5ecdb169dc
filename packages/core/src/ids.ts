import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Time-ordered random ids (`act_01j…`): 48 bits of milliseconds then 80 random bits, in
 * Crockford base32, so ids sort by creation time and cannot be guessed.
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = take16();
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[random[i] % 32];
  return `${prefix}_${time}${rand}`;
}

// One kernel call per 256 ids instead of one per id; the bytes are used once each.
const pool = Buffer.alloc(4096);
let offset = pool.length;
function take16(): Buffer {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = pool.subarray(offset, offset + 16);
  offset += 16;
  return out;
}
