import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { FifoTurns } from '../src/storage/fifo-turns.js';
import { openDatabase } from '../src/storage/open-database.js';
import { inTransaction } from '../src/storage/held-transaction.js';

test('turns are handed over one at a time, oldest waiter first', async () => {
  const turns = new FifoTurns();
  const order: number[] = [];
  let inside = 0;
  await Promise.all(
    Array.from({ length: 3000 }, async (_, i) => {
      await turns.take();
      inside++;
      assert.equal(inside, 1, 'two callers held a turn at once');
      order.push(i);
      await Promise.resolve();
      inside--;
      turns.give();
    }),
  );
  assert.deepEqual(
    order,
    Array.from({ length: 3000 }, (_, i) => i),
  );
  assert.equal(turns.waiting, 0);
});

test('SQLite: thousands of queued queries and transactions on the one connection all answer, in order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-turns-'));
  const storage = await openDatabase({ dataDir: dir });
  try {
    const answered: number[] = [];
    await Promise.all(
      Array.from({ length: 5000 }, async (_, i) => {
        if (i % 100 === 0) {
          await inTransaction(storage.db, async (trx) => {
            await sql`select ${i} as n`.execute(trx);
          });
          answered.push(i);
          return;
        }
        const r = await sql<{ n: number }>`select ${i} as n`.execute(storage.db);
        assert.equal(r.rows[0]?.n, i);
        answered.push(i);
      }),
    );
    assert.deepEqual(
      answered,
      Array.from({ length: 5000 }, (_, i) => i),
    );
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
