import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration.js';

test('single units and compounds parse to milliseconds', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('15m'), 900_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('1d2h3m4s'), 93_784_000);
  assert.equal(parseDuration('90m'), 5_400_000);
});

test('anything else is rejected', () => {
  for (const bad of [
    '',
    '30',
    'm',
    '1.5h',
    '-5m',
    '1h1h',
    '30m1h',
    '1 h',
    '1H',
    ' 1h',
    '1h ',
    '0s',
    '0h0m',
    '1w',
    '100ms',
    'PT1H',
    '9'.repeat(30) + 'd',
  ]) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
});

test('formatDuration renders what parseDuration reads', () => {
  for (const text of ['30s', '15m', '2h', '1d', '1h30m', '1d2h3m4s']) {
    assert.equal(formatDuration(parseDuration(text) ?? 0), text);
  }
  assert.equal(formatDuration(1500), '1s500ms');
});
