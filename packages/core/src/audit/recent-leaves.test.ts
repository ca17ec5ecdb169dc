import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentLeaves } from './recent-leaves.js';

test('keeps the last `capacity` leaf hashes and forgets the rest', () => {
  const recent = new RecentLeaves(4);
  const leaf = (i: number) => Buffer.alloc(32, i);
  for (let i = 0; i < 10; i++) recent.push(i, leaf(i));
  assert.equal(recent.get(5), undefined, 'out of the window');
  assert.deepEqual(recent.get(6), leaf(6));
  assert.deepEqual(recent.get(9), leaf(9));
  assert.equal(recent.get(10), undefined, 'not read yet');
  assert.equal(recent.get(-1), undefined);
  assert.equal(recent.get(1.5), undefined);
});
