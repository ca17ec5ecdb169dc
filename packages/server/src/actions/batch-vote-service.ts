import {
  BATCH_MAX_ITEMS,
  BATCH_MIN_ITEMS,
  CountersignError,
  apiBatchVoteEvidence,
  distinguishing,
  groupAlike,
  judgeBatch,
  reviewerStanding,
  reviewGroups,
  type ActionRecord,
  type BatchItemCase,
  type JsonValue,
  type Vote,
} from '@countersign/core';
import type { Directory } from '../config/directory.js';
import type { Principal } from '../auth/principal.js';
import type { ActionRepository } from '../storage/action-repository.js';
import type { ActionWriter, WriteScope } from './action-writer.js';
import { countedVote, type VoteInput } from './vote-service.js';
import { partiesOf } from './parties.js';
import { BatchRefusal } from './vote-refusal.js';
import { actionBatchRefused, actionBatchVoted, actionVoteCounted } from '../audit/audit-events.js';

/** One item of a batch vote, exactly as the client showed it. */
export interface BatchItemInput {
  id: string;
  digest: string;
}

/** A group of alike requests as `GET /v1/batches` shows it (docs/api.md). */
export interface BatchView {
  key: string;
  rules: string[];
  agent_id: string;
  action: string;
  environment: string;
  oldest_at: number;
  common: Record<string, JsonValue>;
  items: Array<{
    id: string;
    digest: string;
    resource: string;
    created_at: number;
    expires_at: number | null;
    differs: Record<string, JsonValue>;
  }>;
}

export interface BatchVoteServiceDeps {
  writer: ActionWriter;
  actions: ActionRepository;
  directory: Directory;
  /** `batches.window` (config): alike requests further apart than this are not one batch. */
  windowMs: number;
  now: () => number;
  /** Told of each counted vote once committed (metrics/vote-metrics.ts); must not throw. */
  onCounted?: ((vote: Vote, record: ActionRecord) => void) | undefined;
}

/** Pending requests read for the batches list: the newest this many a reviewer may review. */
const LIST_SCAN_LIMIT = 2000;

type BatchOutcome =
  | { refused: CountersignError }
  | { items: Array<{ record: ActionRecord; votes: Vote[] }>; counted: Vote[] };

/**
 * Batch decisions (docs/fatigue.md, "Batches"): one reviewer decides alike requests together,
 * after seeing each one's distinguishing parameters. The decision is core's judgeBatch, which
 * runs judgeVote on each item; nothing here re-decides.
 *
 * A batch vote is one transaction: lock every listed row in ascending id order (the order
 * every writer locks in, storage/group-commit.ts), judge them all, then apply them all: one
 * counted vote, audit entry and transition per item, as a single vote would, and one
 * `action.batch_voted` entry. If any item cannot be decided as the client showed it, nothing
 * is written but one `action.batch_refused` entry, and the refusal names every such item.
 */
export class BatchVoteService {
  constructor(private readonly deps: BatchVoteServiceDeps) {}

  /** Groups of alike pending requests this user may vote on now, oldest first. */
  async list(principal: Principal): Promise<BatchView[]> {
    const user = asVoter(principal);
    const now = this.deps.now();
    const pending = await this.deps.actions.list({
      status: 'pending',
      review_groups: user.groups,
      limit: LIST_SCAN_LIMIT,
    });
    const open = pending.filter(
      (r) =>
        (r.expires_at === null || r.expires_at > now) && this.#standing(user, r) === 'eligible',
    );
    // Requests this user has already voted on are not theirs to vote on again.
    const votes = await this.deps.actions.votesOf(open.map((r) => r.id));
    const votable = open.filter(
      (r) => !(votes.get(r.id) ?? []).some((v) => v.user === user.id && v.outcome === 'counted'),
    );
    return groupAlike(votable, this.deps.windowMs).map(({ key, items }) => {
      const d = distinguishing(items);
      const first = items[0];
      return {
        key,
        rules: [...first.rules].sort(),
        agent_id: first.agent_id,
        action: first.action,
        environment: first.environment,
        oldest_at: first.created_at,
        common: d.common,
        items: items.map((r, i) => ({
          id: r.id,
          digest: r.digest,
          resource: r.resource,
          created_at: r.created_at,
          expires_at: r.expires_at,
          differs: d.items[i].differs,
        })),
      };
    });
  }

  /**
   * Casts `input.vote` on every listed item, or on none. `items` are the ids and digests the
   * client showed; the server never adds one. Channel and evidence come from authentication,
   * as for a single vote. Returns each item's record and votes, in the order sent.
   */
  async voteBatch(
    principal: Principal,
    items: readonly BatchItemInput[],
    input: VoteInput,
  ): Promise<{ items: Array<{ record: ActionRecord; votes: Vote[] }> }> {
    const user = asVoter(principal);
    if (input.break_glass) {
      throw new CountersignError('invalid_request', 'break-glass is never allowed in a batch');
    }
    if (items.length < BATCH_MIN_ITEMS || items.length > BATCH_MAX_ITEMS) {
      throw new CountersignError(
        'invalid_request',
        `a batch has ${BATCH_MIN_ITEMS} to ${BATCH_MAX_ITEMS} items`,
      );
    }
    const ids = items.map((i) => i.id);
    if (new Set(ids).size !== ids.length) {
      throw new CountersignError('invalid_request', 'an item is listed twice');
    }
    const lowest = [...ids].sort(compareIds)[0];
    const outcome = await this.deps.writer.write(
      { kind: 'user', id: user.id },
      (w) => this.#decide(w, user, items, input),
      lowest,
    );
    if ('refused' in outcome) throw outcome.refused;
    for (const vote of outcome.counted) {
      const record = outcome.items.find((i) => i.record.id === vote.action_id)?.record;
      if (record) this.deps.onCounted?.(vote, record);
    }
    return { items: outcome.items };
  }

  async #decide(
    w: WriteScope,
    user: Principal,
    items: readonly BatchItemInput[],
    input: VoteInput,
  ): Promise<BatchOutcome> {
    // Ascending id order: two batches, or a batch and single votes, never wait on each other
    // in a cycle (storage/group-commit.ts).
    const locked = new Map<string, ActionRecord | undefined>();
    for (const id of items.map((i) => i.id).sort(compareIds)) locked.set(id, await w.tx.lock(id));
    const found = [...locked.values()].flatMap((r) => (r ? [r.id] : []));
    const prior = await w.tx.votesOf(found);
    const comment = input.comment?.trim() || null;
    const evidence =
      input.evidence ??
      apiBatchVoteEvidence({ items: [...items], vote: input.vote, comment: input.comment ?? null });
    const cases: BatchItemCase[] = items.map((i) => {
      const record = locked.get(i.id);
      return {
        id: i.id,
        digest: i.digest,
        record,
        priorVotes: prior.get(i.id) ?? [],
        parties: record
          ? partiesOf(this.deps.directory, record)
          : { agent_id: '', agent_owners: [], on_behalf_of: null },
      };
    });
    const verdict = judgeBatch({
      items: cases,
      voter: user,
      vote: input.vote,
      channel: input.channel,
      breakGlass: false,
      comment,
      windowMs: this.deps.windowMs,
      now: w.now,
    });
    const batch = {
      vote: input.vote,
      comment,
      channel: input.channel,
      evidence,
      items: items.map((i) => ({ id: i.id, digest: i.digest })),
    };
    if (verdict.verdict === 'invalid') {
      return { refused: new CountersignError(verdict.code, verdict.message) };
    }
    if (verdict.verdict === 'refused') {
      const refused = verdict.items.map(({ id, code, status }) => ({ id, code, status }));
      // Nothing on any item: only the refusal itself is evidence.
      w.audit(actionBatchRefused(w.actor, { ...batch, refused }));
      return {
        refused: new BatchRefusal(
          `${refused.length} of ${items.length} items cannot be decided as shown; none was`,
          refused,
        ),
      };
    }

    const out: Array<{ record: ActionRecord; votes: Vote[] }> = [];
    const counted: Vote[] = [];
    for (const { id, verdict: v } of verdict.items) {
      const record = locked.get(id) as ActionRecord;
      const vote = countedVote(user, id, input, {
        comment,
        at: w.now,
        evidence,
        breakGlass: false,
      });
      // The rows are locked and judged: a conflict here means the store disagrees with what
      // was judged. Throwing rolls back every item already applied in this transaction.
      if (!(await w.tx.addVote(vote))) throw changedUnderLock(id);
      w.audit(actionVoteCounted(w.actor, vote));
      counted.push(vote);
      const votes = [...(prior.get(id) ?? []), vote];
      let after: ActionRecord | undefined = record;
      if (v.then === 'denied') {
        after = await w.tx.transition(id, 'pending', 'denied', w.now, { reason: v.reason });
        if (after) await w.changed(after, 'action.decided', votes);
      } else if (v.then === 'approved') {
        after = await w.approve(record, v.approvers, v.basis, v.reason);
      } else {
        await w.changed(record, 'action.voted', votes);
      }
      if (!after) throw changedUnderLock(id);
      out.push({ record: after, votes });
    }
    w.audit(actionBatchVoted(w.actor, batch));
    return { items: out, counted };
  }

  #standing(user: Principal, r: ActionRecord) {
    return reviewerStanding(
      user,
      partiesOf(this.deps.directory, r),
      r.approval ? reviewGroups(r.approval, r.escalated_rules) : [],
    );
  }
}

function asVoter(principal: Principal): Principal {
  if (principal.kind !== 'user') {
    // An agent credential can never vote (PRODUCT.md non-negotiable 2).
    throw new CountersignError('forbidden', 'only people vote; this is an agent token');
  }
  return principal;
}

function changedUnderLock(id: string): CountersignError {
  return new CountersignError('internal', `request ${id} changed under its row lock`);
}

/** Code-point order, as the group commit sorts lock keys. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
