import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../src/storage/open-database.js';
import { postgresAvailable } from './harness.js';

// Issue 12, defect 12: concurrent starts on a fresh store raced the migrations. Each
// openDatabase here has its own connection(s), as separate processes would.

const PG_ADMIN_URL =
  process.env.COUNTERSIGN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function openAtOnce(options: { url?: string; dataDir: string }, n: number) {
  const stores = await Promise.all(Array.from({ length: n }, () => openDatabase(options)));
  const [first] = stores;
  assert.ok(first);
  const tables = await first.db.introspection.getTables();
  for (const s of stores) await s.close();
  return tables.map((t) => t.name);
}

test('SQLite: openDatabase on separate connections at once on a fresh directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-migrate-'));
  try {
    const tables = await openAtOnce({ dataDir: dir }, 6);
    assert.ok(tables.includes('actions'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('PostgreSQL: openDatabase with separate pools at once on a fresh database', async (t) => {
  if (!(await postgresAvailable())) return t.skip('no PostgreSQL');
  const name = `cs_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    const tables = await openAtOnce({ url: url.toString(), dataDir: tmpdir() }, 6);
    assert.ok(tables.includes('actions'));
  } finally {
    // pool.end() resolves before its sessions have left; FORCE would then kill them mid-exit.
    for (let i = 0; i < 100; i++) {
      const { rows } = await admin.query<{ n: string }>(
        'select count(*) as n from pg_stat_activity where datname = $1',
        [name],
      );
      if (Number(rows[0]?.n ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
});
