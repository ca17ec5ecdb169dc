import { sql, type Kysely } from 'kysely';
import type { ChangeKind } from '@countersign/core';
import type { DialectName } from './open-database.js';
import type { Database } from './schema.js';
import { entryField, queuedDataField, shadowVersionOfEntry } from './shadow-entry-sql.js';

/**
 * The entry type, as a literal in the SQL: a partial index is used only when the query's
 * condition implies the index's, which a bound parameter cannot (SQLite decides at prepare).
 */
const IS_DISAGREEMENT = sql<boolean>`type = ${sql.lit('policy.shadow_disagreed')}`;

/** One recorded disagreement as the store holds it: its entry's data, time and request. */
export interface StoredShadowDisagreement {
  request_id: string;
  at: number;
  /** The request's agent and action (null if the request row is gone). */
  agent: string | null;
  action: string | null;
  /** The entry's JSON data: `{kind, live, shadow}` (audit/audit-events.ts). */
  data: string;
}

/**
 * Reads the `policy.shadow_disagreed` audit entries of one shadow version, on every replica the
 * same (`GET /v1/policy/shadow`). Sequenced entries through the partial index of migration 0017
 * (this version's disagreements only, never the whole log); on PostgreSQL also the entries still
 * queued for sequencing (audit_queue, a few rows at most), in the same statement so that an
 * entry being sequenced meanwhile is counted once.
 */
export class ShadowDisagreementRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /** Disagreements by kind, and the oldest one's time (null when none). */
  async counts(
    version: string,
  ): Promise<{ counts: Map<ChangeKind, number>; oldest: number | null }> {
    const rows = await this.countsQuery(version).execute();
    const counts = new Map<ChangeKind, number>();
    let oldest: number | null = null;
    for (const r of rows) {
      counts.set(r.kind as ChangeKind, Number(r.n));
      const at = Number(r.oldest);
      if (oldest === null || at < oldest) oldest = at;
    }
    return { counts, oldest };
  }

  /** The query of `counts` (exposed so a test can check its plan reads the index). */
  countsQuery(version: string) {
    const d = this.dialect;
    return this.db
      .selectFrom(
        this.db
          .selectFrom('audit_entries')
          .select([entryField(d, ['data', 'kind']).as('kind'), 'at'])
          .where(IS_DISAGREEMENT)
          .where(shadowVersionOfEntry(d), '=', version)
          .unionAll(
            this.db
              .selectFrom('audit_queue')
              .select([queuedDataField(d, ['kind']).as('kind'), 'at'])
              .where(IS_DISAGREEMENT)
              .where(queuedDataField(d, ['shadow', 'policy_version']), '=', version),
          )
          .as('d'),
      )
      .select((eb) => [
        'd.kind',
        eb.fn.countAll<string | number>().as('n'),
        eb.fn.min('d.at').as('oldest'),
      ])
      .groupBy('d.kind');
  }

  /** The newest `limit` disagreements, newest first, with their request's agent and action. */
  async newest(version: string, limit: number): Promise<StoredShadowDisagreement[]> {
    const d = this.dialect;
    const rows = await this.db
      .selectFrom(
        this.db
          .selectFrom(
            this.db
              .selectFrom('audit_entries')
              .select([
                'request_id',
                'at',
                sql<string>`${entryField(d, ['data'])}`.as('data'),
                sql<number>`0`.as('queued'),
                'idx as seq',
              ])
              .where(IS_DISAGREEMENT)
              .where(shadowVersionOfEntry(d), '=', version)
              .orderBy('at', 'desc')
              .orderBy('idx', 'desc')
              .limit(limit)
              .as('e'),
          )
          .selectAll()
          .unionAll(
            this.db
              .selectFrom('audit_queue')
              .select(['request_id', 'at', 'data', sql<number>`1`.as('queued'), 'id as seq'])
              .where(IS_DISAGREEMENT)
              .where(queuedDataField(d, ['shadow', 'policy_version']), '=', version),
          )
          .as('u'),
      )
      .leftJoin('actions', 'actions.id', 'u.request_id')
      .select(['u.request_id', 'u.at', 'u.data', 'actions.agent_id', 'actions.action'])
      .orderBy('u.at', 'desc')
      .orderBy('u.queued', 'desc')
      .orderBy('u.seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      request_id: r.request_id ?? '',
      at: Number(r.at),
      agent: r.agent_id ?? null,
      action: r.action ?? null,
      data: r.data,
    }));
  }
}
