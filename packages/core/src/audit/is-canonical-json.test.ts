import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../digest/canonical-json.js';
import type { JsonValue } from '../model/json.js';
import { isCanonicalJson } from './is-canonical-json.js';

// Deterministic PRNG (mulberry32), so a failure is reproducible.
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Keys and strings that stress RFC 8785: integer-like keys (which JS objects enumerate first),
// non-BMP characters (UTF-16 order differs from code point order), escapes, controls.
const KEYS = [
  'a',
  'b',
  'B',
  '10',
  '2',
  '0',
  '',
  'é',
  '\u{1f600}',
  '\uffff',
  'a\nb',
  '"',
  '__proto__',
];
const STRINGS = [
  '',
  'x',
  '\u0000',
  '\u001f',
  '\u007f',
  '"\\/',
  '\u2028',
  'é',
  '\u{1f600}',
  '\ud800',
];
const NUMBERS = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 123456789012345680000, 0.1 + 0.2, 2 ** 53, 5e-324];

function value(random: () => number, depth: number): JsonValue {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const r = random();
  if (depth > 3 || r < 0.4)
    return pick<JsonValue>([null, true, false, pick(NUMBERS), pick(STRINGS)]);
  if (r < 0.6)
    return Array.from({ length: Math.floor(random() * 4) }, () => value(random, depth + 1));
  const o: Record<string, JsonValue> = {};
  for (let i = Math.floor(random() * 5); i > 0; i--) o[pick(KEYS)] = value(random, depth + 1);
  return o;
}

test('agrees with canonicalJson on 5,000 random values and their re-serialisations', () => {
  const random = prng(8785);
  for (let i = 0; i < 5000; i++) {
    const v = value(random, 0);
    let canonical: string;
    try {
      canonical = canonicalJson(v);
    } catch {
      // A lone surrogate has no canonical form: no text of it is canonical.
      assert.equal(isCanonicalJson(JSON.stringify(v), v), false);
      continue;
    }
    assert.equal(isCanonicalJson(canonical, JSON.parse(canonical)), true, canonical);
    for (const text of [JSON.stringify(v), JSON.stringify(v, null, 1)]) {
      assert.equal(isCanonicalJson(text, JSON.parse(text)), text === canonical, text);
    }
  }
});

test('refuses what parses the same but is written differently', () => {
  for (const text of [
    '{"b":1,"a":2}',
    '{"a":1,"a":1}',
    '{"a":1.0}',
    '{"a":1e0}',
    '{"a":-0}',
    '{"a":"\\u0041"}',
    '{"a":"\\/"}',
    '{ "a":1}',
    '{"2":1,"10":2}',
    '{"a":"\u2028"}'.replace('\u2028', '\\u2028'),
  ]) {
    assert.equal(isCanonicalJson(text, JSON.parse(text)), false, text);
  }
  assert.equal(isCanonicalJson('{"10":2,"2":1}', { 10: 2, 2: 1 }), true);
  assert.equal(isCanonicalJson('"\\ud800"', '\ud800'), false);
  assert.equal(isCanonicalJson('"\u{1f600}"', '\u{1f600}'), true);
});
