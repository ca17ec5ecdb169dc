import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-depth.js';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

test('the limit itself passes; one more level does not', () => {
  assert.equal(jsonDepthExceeds(nested(MAX_JSON_DEPTH)), false);
  assert.equal(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1)), true);
  assert.equal(jsonDepthExceeds(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`), false);
  assert.equal(jsonDepthExceeds(`{"a":${nested(MAX_JSON_DEPTH)}}`), true);
});

test('brackets inside strings, escaped quotes included, do not count', () => {
  const inString = JSON.stringify({ s: '[{'.repeat(1000) + '\\"[[[' });
  assert.equal(jsonDepthExceeds(inString), false);
  assert.equal(jsonDepthExceeds(`{"k\\"[[[[":1}`, 1), false);
});

test('siblings do not add up: depth is nesting, not count', () => {
  assert.equal(jsonDepthExceeds(`[${Array(1000).fill('[1]').join(',')}]`, 2), false);
});

test('100,000 levels are judged without recursion', () => {
  assert.equal(jsonDepthExceeds(nested(100_000)), true);
});
