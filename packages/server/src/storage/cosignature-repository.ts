import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { storedCheckpoint, type StoredCheckpoint } from './audit-repository.js';

/** A checkpoint and the verified cosignature lines stored for it. */
export interface CosignedCheckpoint {
  checkpoint: StoredCheckpoint;
  /** Each `— <witness> <base64>\n`, in witness order. */
  lines: string[];
}

/** The only code that reads or writes `audit_cosignatures` (docs/witness.md). */
export class CosignatureRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Keeps a verified cosignature; a second one for the same witness and size is dropped. */
  async insert(row: { witness: string; size: number; line: string; created_at: number }) {
    await this.db
      .insertInto('audit_cosignatures')
      .values(row)
      .onConflict((oc) => oc.columns(['witness', 'size']).doNothing())
      .execute();
  }

  /** Each witness's largest cosigned size: where its next add-checkpoint starts. */
  async latestSizes(): Promise<Map<string, number>> {
    const rows = await this.db
      .selectFrom('audit_cosignatures')
      .select((eb) => ['witness', eb.fn.max('size').as('size')])
      .groupBy('witness')
      .execute();
    return new Map(rows.map((r) => [r.witness, Number(r.size)]));
  }

  /**
   * The newest checkpoint cosigned by at least `quorum` of `witnesses`, with those witnesses'
   * lines; undefined when there is none.
   */
  async newestCosigned(
    witnesses: readonly string[],
    quorum: number,
  ): Promise<CosignedCheckpoint | undefined> {
    if (witnesses.length === 0) return undefined;
    const newest = await this.db
      .selectFrom('audit_cosignatures')
      .select('size')
      .where('witness', 'in', [...witnesses])
      .groupBy('size')
      .having((eb) => eb.fn.countAll(), '>=', quorum)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (newest === undefined) return undefined;
    const size = Number(newest.size);
    const checkpoint = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('size', '=', size)
      .executeTakeFirst();
    if (checkpoint === undefined) return undefined;
    const lines = await this.db
      .selectFrom('audit_cosignatures')
      .select('line')
      .where('size', '=', size)
      .where('witness', 'in', [...witnesses])
      .orderBy('witness')
      .execute();
    return {
      checkpoint: storedCheckpoint(checkpoint),
      lines: lines.map((l) => l.line),
    };
  }
}
