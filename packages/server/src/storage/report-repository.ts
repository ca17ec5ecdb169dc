import type { Kysely } from 'kysely';
import type { ActionRecord, AuditEntry, Vote } from '@countersign/core';
import { recordFromRow } from './action-rows.js';
import type { Database } from './schema.js';
import { voteFromRow } from './vote-rows.js';
import { readKv } from './read-kv.js';

/** A half-open interval of epoch milliseconds, [start, end). */
export interface TimeWindow {
  start: number;
  end: number;
}

export interface RequestCount {
  action: string;
  environment: string;
  decision: string;
  status: string;
  n: number;
}

export interface VersionSeen {
  version: string;
  first: number;
  last: number;
  requests: number;
}

export interface CheckpointRow {
  size: number;
  root_hash: string;
  note: string;
  created_at: number;
}

/**
 * What the SOC 2 report reads, and nothing else: it only selects. Requests belong to the
 * period they were created in; refused votes and audit entries to the period they happened in.
 */
export class ReportRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * How many requests were created in the window, per action, environment, decision and
   * status: counted in the database, because auto-allowed requests can number millions.
   */
  async requestCounts(w: TimeWindow): Promise<RequestCount[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select([
        'action',
        'environment',
        'decision',
        'status',
        (eb) => eb.fn.countAll<number>().as('n'),
      ])
      .where('created_at', '>=', w.start)
      .where('created_at', '<', w.end)
      .groupBy(['action', 'environment', 'decision', 'status'])
      .execute();
    return rows.map((r) => ({ ...r, n: Number(r.n) }));
  }

  /** Each policy version requests of the window were decided under, with when and how often. */
  async policyVersionsSeen(w: TimeWindow): Promise<VersionSeen[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select((eb) => [
        'policy_version',
        eb.fn.min('created_at').as('first'),
        eb.fn.max('created_at').as('last'),
        eb.fn.countAll<number>().as('n'),
      ])
      .where('created_at', '>=', w.start)
      .where('created_at', '<', w.end)
      .groupBy('policy_version')
      .execute();
    return rows.map((r) => ({
      version: r.policy_version,
      first: Number(r.first),
      last: Number(r.last),
      requests: Number(r.n),
    }));
  }

  /**
   * The requests of the window a rule denied or that needed people, oldest first: the ones
   * the report lists one by one. Auto-allowed requests are only counted.
   */
  async notAutoAllowedIn(w: TimeWindow): Promise<ActionRecord[]> {
    const rows = await this.db
      .selectFrom('actions')
      .selectAll()
      .where('created_at', '>=', w.start)
      .where('created_at', '<', w.end)
      .where('decision', '!=', 'allow')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(recordFromRow);
  }

  /** Every vote, counted or refused, on the requests created in the window. */
  async votesOnRequestsCreatedIn(w: TimeWindow): Promise<Vote[]> {
    const rows = await this.db
      .selectFrom('votes')
      .selectAll()
      .where('action_id', 'in', (sub) =>
        sub
          .selectFrom('actions')
          .select('id')
          .where('created_at', '>=', w.start)
          .where('created_at', '<', w.end),
      )
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(voteFromRow);
  }

  /** Refused votes cast in the window, whenever their request was made. */
  async refusedVotesIn(w: TimeWindow): Promise<Vote[]> {
    const rows = await this.db
      .selectFrom('votes')
      .selectAll()
      .where('outcome', '=', 'refused')
      .where('at', '>=', w.start)
      .where('at', '<', w.end)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return rows.map(voteFromRow);
  }

  /** How many entries the audit log holds (0 for a store that has none yet). */
  async auditSize(): Promise<number> {
    const row = await this.db
      .selectFrom('audit_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Administrative audit entries (those about no request: policy, tokens, keys) of one type
   * recorded in the window, in log order, parsed.
   */
  async auditEntriesOfType(type: AuditEntry['type'], w: TimeWindow): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit_entries')
      .select('entry')
      // Matches the partial index audit_entries_admin.
      .where('request_id', 'is', null)
      .where('type', '=', type)
      .where('at', '>=', w.start)
      .where('at', '<', w.end)
      .orderBy('idx')
      .execute();
    return rows.map((r) => JSON.parse(r.entry) as AuditEntry);
  }

  /** Every `directory.*` entry recorded before `end`, in index order (the directory's history). */
  async directoryEntries(end: number): Promise<AuditEntry[]> {
    const rows = await this.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('request_id', 'is', null)
      .where('type', 'like', 'directory.%')
      .where('at', '<', end)
      .orderBy('idx')
      .execute();
    return rows.map((r) => JSON.parse(r.entry) as AuditEntry);
  }

  /** A value the gateway keeps in `kv` (the audit signing key, to derive its public half). */
  storedValue(key: string): Promise<string | undefined> {
    return readKv(this.db, key);
  }

  /**
   * The canonical text of entries [0, size), in index order, in batches: what `verifyLog`
   * reads. Keyset-paged so a million-entry log is never in memory at once.
   */
  async *auditEntryTexts(size: number, batch = 10_000): AsyncGenerator<string[]> {
    for (let from = 0; from < size; from += batch) {
      const rows = await this.db
        .selectFrom('audit_entries')
        .select('entry')
        .where('idx', '>=', from)
        .where('idx', '<', Math.min(size, from + batch))
        .orderBy('idx')
        .execute();
      // A deleted row makes a short page: the verifier sees the gap and names the index.
      yield rows.map((r) => r.entry);
    }
  }

  /** Signed checkpoints, newest first. */
  async checkpoints(limit: number): Promise<CheckpointRow[]> {
    const rows = await this.db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .orderBy('size', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      size: Number(row.size),
      root_hash: row.root_hash,
      note: row.note,
      created_at: Number(row.created_at),
    }));
  }
}
