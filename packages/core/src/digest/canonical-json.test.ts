import { test } from 'node:test';
import assert from 'node:assert/strict';
import canonicalize from 'canonicalize';
import { CountersignError } from '../errors.js';
import type { JsonValue } from '../model/json.js';
import { canonicalJson } from './canonical-json.js';

// Deterministic PRNG (mulberry32), so a failure is reproducible.
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Integer-like keys (enumerated first by JS objects), non-BMP characters (UTF-16 order differs
// from code point order), escapes, controls, and numbers at the edges of ES serialisation.
const KEYS = ['a', 'b', 'B', '10', '2', '0', '', 'é', '\u{1f600}', '\uffff', 'a\nb', '"', 'z'];
const STRINGS = ['', 'x', '\u0000', '\u001f', '\u007f', '"\\/', '\u2028', 'é', '\u{1f600}', 'ab'];
const NUMBERS = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 123456789012345680000, 0.1 + 0.2, 2 ** 53, 5e-324];

function value(random: () => number, depth: number): JsonValue {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const r = random();
  if (depth > 4 || r < 0.4)
    return pick<JsonValue>([null, true, false, pick(NUMBERS), pick(STRINGS), random() * 1e6]);
  if (r < 0.6)
    return Array.from({ length: Math.floor(random() * 5) }, () => value(random, depth + 1));
  const o: Record<string, JsonValue> = {};
  for (let i = Math.floor(random() * 6); i > 0; i--) o[pick(KEYS)] = value(random, depth + 1);
  return o;
}

test('agrees byte for byte with the canonicalize package on 20,000 random values', () => {
  const random = prng(8785);
  for (let i = 0; i < 20_000; i++) {
    const v = value(random, 0);
    assert.equal(canonicalJson(v), canonicalize(v), JSON.stringify(v));
  }
});

test('orders every key count alike: the insertion sort (≤ 16 keys) and the built-in one', () => {
  const random = prng(3_2_3);
  const alphabet = [...KEYS, 'aa', 'a\u0000', '\u{10000}', '\ud7ff', '\ue000', 'Z', '1'];
  for (let n = 0; n <= 40; n++) {
    for (let round = 0; round < 50; round++) {
      const o: Record<string, JsonValue> = {};
      for (let i = 0; i < n; i++) {
        const a = alphabet[Math.floor(random() * alphabet.length)];
        const b = alphabet[Math.floor(random() * alphabet.length)];
        o[`${a}${b}${i % 3}`] = i;
      }
      assert.equal(canonicalJson(o), canonicalize(o), JSON.stringify(o));
    }
  }
});

test('RFC 8785 §3.2.2.3 number samples and §3.2.3 key order', () => {
  const numbers: Array<[number, string]> = [
    [0, '0'],
    [-0, '0'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740992, '9007199254740992'],
    [295147905179352830000, '295147905179352830000'],
    [1e21, '1e+21'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
    [333333333.3333333, '333333333.3333333'],
  ];
  for (const [n, text] of numbers) assert.equal(canonicalJson(n), text);
  // The RFC's sorting example: keys ordered by UTF-16 code units.
  const sorted = canonicalJson({
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\u{1f600}': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  });
  assert.equal(
    sorted,
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
      '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
      '"\u{1f600}":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
});

test('omits undefined members, nulls undefined array items, and uses toJSON', () => {
  const v = { b: undefined, a: [undefined, 1], d: new Date(0), n: { toJSON: () => undefined } };
  assert.equal(
    canonicalJson(v as unknown as JsonValue),
    '{"a":[null,1],"d":"1970-01-01T00:00:00.000Z"}',
  );
});

test('refuses what is not I-JSON, with invalid_request', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = { inner: cyclic };
  const refused: unknown[] = [
    NaN,
    Infinity,
    { x: -Infinity },
    [1n],
    '\ud800',
    'a\udc00b',
    { '\ud83d': 1 },
    cyclic,
    undefined,
  ];
  for (const v of refused) {
    assert.throws(
      () => canonicalJson(v as JsonValue),
      (e: unknown) => e instanceof CountersignError && e.code === 'invalid_request',
      String(v),
    );
  }
  // A shared (not cyclic) object is fine.
  const shared = { k: 1 };
  assert.equal(canonicalJson({ a: shared, b: [shared] }), '{"a":{"k":1},"b":[{"k":1}]}');
});
