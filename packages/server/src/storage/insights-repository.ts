import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { TimeWindow } from './report-repository.js';

/**
 * A counted vote with what it takes to time it: when its request was created, and when the
 * request's first notification was delivered (before the vote; null when none was).
 */
export interface TimedVote {
  action_id: string;
  user: string;
  vote: 'approve' | 'deny';
  channel: string;
  at: number;
  created_at: number;
  notified_at: number | null;
  rules: string[];
}

/** A request that needed people: when it was created, and the rules that matched it. */
export interface ReviewedRequest {
  created_at: number;
  rules: string[];
}

/**
 * What the reviewer-load insights read (docs/fatigue.md): selects only. Notification times
 * come from the outbox's `delivered_at` (the same moment `action.notified` records), which
 * is a plain column in both dialects, unlike the audit entry's JSON.
 */
export class InsightsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Counted votes cast in the window, oldest first, with their request's times and rules. */
  async votesIn(w: TimeWindow): Promise<TimedVote[]> {
    const rows = await this.db
      .selectFrom('votes')
      .innerJoin('actions', 'actions.id', 'votes.action_id')
      .select((eb) => [
        'votes.action_id',
        'votes.user_id',
        'votes.vote',
        'votes.channel',
        'votes.at',
        'actions.created_at',
        'actions.rules',
        eb
          .selectFrom('outbox')
          .select((o) => o.fn.min('outbox.delivered_at').as('m'))
          .whereRef('outbox.action_id', '=', 'votes.action_id')
          .whereRef('outbox.delivered_at', '<=', 'votes.at')
          .as('notified_at'),
      ])
      .where('votes.outcome', '=', 'counted')
      .where('votes.at', '>=', w.start)
      .where('votes.at', '<', w.end)
      .orderBy('votes.at')
      .orderBy('votes.id')
      .execute();
    return rows.map((r) => ({
      action_id: r.action_id,
      user: r.user_id,
      vote: r.vote === 'approve' ? 'approve' : 'deny',
      channel: r.channel,
      at: Number(r.at),
      created_at: Number(r.created_at),
      notified_at: r.notified_at === null ? null : Number(r.notified_at),
      rules: JSON.parse(r.rules) as string[],
    }));
  }

  /** Requests created in the window that needed a human decision. */
  async reviewedRequestsIn(w: TimeWindow): Promise<ReviewedRequest[]> {
    const rows = await this.db
      .selectFrom('actions')
      .select(['created_at', 'rules'])
      .where('decision', '=', 'require_approval')
      .where('created_at', '>=', w.start)
      .where('created_at', '<', w.end)
      .execute();
    return rows.map((r) => ({
      created_at: Number(r.created_at),
      rules: JSON.parse(r.rules) as string[],
    }));
  }

  /** When a request's first notification was delivered, at or before `before`. */
  async notifiedAt(actionId: string, before: number): Promise<number | null> {
    const row = await this.db
      .selectFrom('outbox')
      .select((o) => o.fn.min('delivered_at').as('m'))
      .where('action_id', '=', actionId)
      .where('delivered_at', '<=', before)
      .executeTakeFirst();
    return row?.m === null || row?.m === undefined ? null : Number(row.m);
  }
}
