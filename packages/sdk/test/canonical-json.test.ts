import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionDigest as coreDigest, canonicalJson as coreCanonical } from '@countersign/core';
import type { JsonValue as CoreJson } from '@countersign/core';
import { actionDigest, canonicalJson } from '../src/index.js';

/** A small seeded PRNG (mulberry32): the same values on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.1,
  1e21,
  1e-7,
  1e-6,
  123456789012345680000,
  5e-324,
  -5e-324,
  1.7976931348623157e308,
  9007199254740991,
  9007199254740992,
  4.35,
  0.000001,
  333333333.3333333,
  1e23,
  2 ** -1074,
  295147905179352830000,
  1.5e300,
];
const STRINGS = [
  '',
  'a',
  '\u0000\u001f\u007f',
  '"\\/\b\f\n\r\t',
  'é€𝄞😀',
  '\u2028\u2029',
  '\ud83d\ude00',
  'Ö',
  '\ufb33',
];

function randomValue(r: () => number, depth: number): CoreJson {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const kind = depth > 3 ? Math.floor(r() * 4) : Math.floor(r() * 6);
  switch (kind) {
    case 0:
      return pick([null, true, false]);
    case 1:
      return r() < 0.5 ? pick(NUMBERS) : (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    case 2:
      return r() < 0.5
        ? pick(STRINGS)
        : String.fromCharCode(...Array.from({ length: Math.floor(r() * 8) }, () => r() * 0xd7ff));
    case 3:
      return Math.floor(r() * 2 ** 53) * (r() < 0.5 ? -1 : 1);
    case 4:
      return Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, CoreJson> = {};
      for (let i = Math.floor(r() * 6); i > 0; i--) {
        const key = r() < 0.4 ? pick(STRINGS) : pick(['a', 'b', 'B', '1', '10', '2', '_', 'aa']);
        o[key] = randomValue(r, depth + 1);
      }
      return o;
    }
  }
}

test('canonicalJson agrees with the gateway on 5,000 generated values', () => {
  const r = rng(8785);
  for (let i = 0; i < 5000; i++) {
    const v = randomValue(r, 0);
    assert.equal(canonicalJson(v), coreCanonical(v), JSON.stringify(v));
  }
});

test('RFC 8785 examples: key order by UTF-16 code units, ES number form', () => {
  // RFC 8785 §3.2.3's own example: the emoji's lead surrogate (U+D83D) sorts before U+FB33.
  assert.equal(
    canonicalJson({
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    }),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
  // RFC 8785 Appendix B number samples.
  const samples: Array<[number, string]> = [
    [0, '0'],
    [-0, '0'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740992, '9007199254740992'],
    [295147905179352830000, '295147905179352830000'],
    [1e21, '1e+21'],
    [1e-7, '1e-7'],
    [0.000001, '0.000001'],
    [333333333.3333333, '333333333.3333333'],
  ];
  for (const [n, text] of samples) assert.equal(canonicalJson(n), text);
});

test('what JSON cannot say is refused, as the gateway refuses it', () => {
  for (const bad of [NaN, Infinity, -Infinity, '\ud800', { ['\udc00']: 1 }, [1n]]) {
    assert.throws(() => canonicalJson(bad), TypeError);
  }
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => canonicalJson(cyclic), /circular/);
  // undefined members vanish, undefined array items are null, as in JSON.stringify.
  assert.equal(canonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
});

test('actionDigest equals the gateway digest for generated params', async () => {
  const r = rng(6962);
  for (let i = 0; i < 300; i++) {
    const params: Record<string, CoreJson> = { n: randomValue(r, 1), m: randomValue(r, 2) };
    const spec = { action: 'db.export', resource: 'postgres://x', environment: 'prod', params };
    assert.equal(await actionDigest(spec), coreDigest(spec));
  }
});
