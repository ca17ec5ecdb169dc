import type { Kysely } from 'kysely';
import type { AuditEvent } from '../audit/audit-events.js';
import type { DirectorySnapshot } from '../config/directory-snapshot.js';
import type { EvidenceLog } from './evidence-log.js';
import { inTransaction } from './held-transaction.js';
import type { DialectName } from './open-database.js';
import type { Database } from './schema.js';

/**
 * The `kv` row holding the directory as last recorded in the audit log (canonical JSON of a
 * `DirectorySnapshot`). It is what the next start diffs against; the evidence itself is the
 * log's `directory.*` entries, which the report replays. No migration: `kv` exists already.
 */
const KEY = 'directory.recorded';

/** The only code that reads or writes the recorded directory. */
export class DirectoryStateRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
    private readonly evidence: EvidenceLog,
  ) {}

  /**
   * In one transaction: reads the recorded directory with its row locked, asks `changes` for
   * the evidence of what differs from it, appends that evidence and records `current`. The
   * row lock serialises replicas starting at once on PostgreSQL (the insert-if-absent makes
   * a row to lock on the very first start), so the second one finds the first's record and
   * appends nothing. SQLite transactions are serialised already. Returns the entries appended.
   */
  async record(
    current: DirectorySnapshot,
    changes: (recorded: DirectorySnapshot | undefined) => AuditEvent[],
  ): Promise<number> {
    return inTransaction(this.db, async (trx) => {
      await trx
        .insertInto('kv')
        .values({ key: KEY, value: '' })
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
      let read = trx.selectFrom('kv').select('value').where('key', '=', KEY);
      if (this.dialect === 'postgres') read = read.forUpdate();
      const row = await read.executeTakeFirstOrThrow();
      const recorded = row.value === '' ? undefined : (JSON.parse(row.value) as DirectorySnapshot);
      const events = changes(recorded);
      if (events.length === 0) return 0;
      await this.evidence.append(trx, events);
      await trx
        .updateTable('kv')
        .set({ value: JSON.stringify(current) })
        .where('key', '=', KEY)
        .execute();
      return events.length;
    });
  }
}
