import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Loop } from '../src/scheduler/loop.js';
import { until } from './webhooks-receiver.js';

/**
 * The timer loop wakes at a deadline that comes before its next tick (scheduler/loop.ts
 * `untilDue`), instead of letting work due between two ticks wait for the second one. The tick
 * here is ten minutes: only the wake can run the job a second time within the test.
 */
test('a loop runs once more when its next work is due before the next tick', async () => {
  let runs = 0;
  const errors: unknown[] = [];
  const loop = new Loop(
    600_000,
    [
      () => {
        runs++;
        return Promise.resolve();
      },
    ],
    (e) => errors.push(e),
    () => Promise.resolve(runs === 1 ? 30 : undefined),
  );
  loop.start();
  try {
    await until(() => runs === 2, 10_000, 'the early tick');
    assert.deepEqual(errors, []);
  } finally {
    await loop.stop();
  }
});

test('work due already (claimed elsewhere, not firable yet) waits for the tick, no spin', async () => {
  let runs = 0;
  let asked = 0;
  const loop = new Loop(
    600_000,
    [
      () => {
        runs++;
        return Promise.resolve();
      },
    ],
    () => undefined,
    () => {
      asked++;
      return Promise.resolve(0);
    },
  );
  loop.start();
  try {
    await until(() => asked === 1, 10_000, 'the question after the first tick');
    await new Promise((r) => setImmediate(r));
    assert.equal(runs, 1);
  } finally {
    await loop.stop();
  }
});
