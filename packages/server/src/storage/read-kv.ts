import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** One value of the `kv` table (stored keys, replica settings), if it is there. */
export async function readKv(db: Kysely<Database>, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('kv').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}
