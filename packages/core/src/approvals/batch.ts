import { hash } from 'node:crypto';
import { canonicalJson } from '../digest/canonical-json.js';
import type { JsonValue } from '../model/json.js';
import type { ActionRecord, Vote, VoteChannel, VoteChoice } from '../model/action-record.js';
import {
  reviewGroups,
  reviewerStanding,
  type RequestParties,
  type Reviewer,
} from '../lifecycle/reviewer-standing.js';
import { judgeVote, type VoteRefusalCode, type VoteVerdict } from './judge-vote.js';
import { voteEvidence } from './vote-evidence.js';

/** A batch decides 2 to 50 requests: one is a plain vote, more is more than a card shows. */
export const BATCH_MIN_ITEMS = 2;
export const BATCH_MAX_ITEMS = 50;
/** `batches.window` when the config does not set it: 15 minutes. */
export const DEFAULT_BATCH_WINDOW_MS = 15 * 60_000;

/** What makes two requests alike, and when they were made. */
export type Batchable = Pick<
  ActionRecord,
  'id' | 'decision' | 'rules' | 'agent_id' | 'action' | 'environment' | 'created_at'
>;

/**
 * The key two requests share when they are alike: the same rules (in any order), agent,
 * action and environment, and a decision that sends them to people. `null` for a request no
 * human decides (allowed or denied by policy): it is alike nothing.
 * `sha256:<hex>` of the canonical JSON of those fields, so agent text never makes a key
 * collide with another (a separator inside a rule id, say).
 */
export function batchKeyOf(record: Batchable): string | null {
  if (record.decision !== 'require_approval') return null;
  const fields = {
    rules: [...record.rules].sort(),
    agent_id: record.agent_id,
    action: record.action,
    environment: record.environment,
  };
  return `sha256:${hash('sha256', canonicalJson(fields), 'hex')}`;
}

export interface AlikeGroup<T> {
  /** batchKeyOf of every item. Two groups share it when the window split them. */
  key: string;
  /** Oldest first (created_at, then id). */
  items: T[];
}

const byAge = (a: Batchable, b: Batchable) =>
  a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The pending requests that can be decided together: alike (batchKeyOf), created within
 * `windowMs` of the group's oldest item, at most BATCH_MAX_ITEMS a group. An item further
 * than the window from the oldest starts a new group; so does the 51st. Groups of one are
 * left out (a single request is voted on alone). Groups come oldest first.
 * The caller passes only the requests the reviewer may vote on.
 */
export function groupAlike<T extends Batchable & Pick<ActionRecord, 'status'>>(
  records: readonly T[],
  windowMs: number,
): AlikeGroup<T>[] {
  const byKey = new Map<string, T[]>();
  for (const r of records) {
    const key = r.status === 'pending' ? batchKeyOf(r) : null;
    if (key === null) continue;
    const list = byKey.get(key);
    if (list) list.push(r);
    else byKey.set(key, [r]);
  }
  const groups: AlikeGroup<T>[] = [];
  for (const [key, list] of byKey) {
    list.sort(byAge);
    let current: T[] = [];
    const close = () => {
      if (current.length >= BATCH_MIN_ITEMS) groups.push({ key, items: current });
      current = [];
    };
    for (const r of list) {
      const oldest = current[0];
      if (
        oldest !== undefined &&
        (r.created_at - oldest.created_at > windowMs || current.length >= BATCH_MAX_ITEMS)
      ) {
        close();
      }
      current.push(r);
    }
    close();
  }
  return groups.sort((a, b) => byAge(a.items[0], b.items[0]));
}

/** The fields of a request that can tell alike requests apart. */
export type Distinguishable = Pick<
  ActionRecord,
  'id' | 'resource' | 'params' | 'justification' | 'on_behalf_of' | 'risk'
>;

export interface Distinguishing {
  /** Paths with one and the same value in every item (present in all). */
  common: Record<string, JsonValue>;
  /**
   * Per item, in the order given: every other path it has, with its value. A path in one
   * item's `differs` and absent from another's means that other item has no such field.
   */
  items: Array<{ id: string; differs: Record<string, JsonValue> }>;
}

// A key that reads unambiguously after a dot; any other is written as a JSON string in brackets.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * A request's fields as path → value: `resource`, `justification`, `on_behalf_of`, `risk`
 * (null when unset) and every leaf of `params` (`params.a.b`). Keys that are not plain names
 * are written `params["a.b"]`, so `{"a.b": 1}` and `{"a": {"b": 1}}` never share a path;
 * arrays and empty objects are leaves (their whole JSON), so no value is ever dropped. Two
 * requests with different digests therefore never flatten to the same paths and values.
 */
export function flattenRequest(r: Distinguishable): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>([
    ['resource', r.resource],
    ['justification', r.justification],
    ['on_behalf_of', r.on_behalf_of],
    ['risk', r.risk],
  ]);
  const walk = (path: string, v: JsonValue) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) {
        walk(PLAIN_KEY.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, child);
      }
    } else {
      out.set(path, v);
    }
  };
  walk('params', r.params);
  return out;
}

/**
 * What a batch card shows: the paths every item shares once (`common`), and for each item
 * the paths that tell it apart (`differs`). Values are compared by their canonical JSON.
 * Everything a reviewer needs to see to know what each item is, and nothing hidden: the union
 * of `common` and an item's `differs` is that item's whole flattened request.
 */
export function distinguishing(records: readonly Distinguishable[]): Distinguishing {
  const flat = records.map(flattenRequest);
  const paths = new Set(flat.flatMap((f) => [...f.keys()]));
  const common = new Map<string, JsonValue>();
  for (const p of paths) {
    const first = flat[0]?.get(p);
    if (first === undefined) continue;
    const text = canonicalJson(first);
    if (flat.every((f) => f.has(p) && canonicalJson(f.get(p) as JsonValue) === text)) {
      common.set(p, first);
    }
  }
  return {
    common: Object.fromEntries(common),
    items: records.map((r, i) => ({
      id: r.id,
      differs: Object.fromEntries([...flat[i]].filter(([p]) => !common.has(p))),
    })),
  };
}

/** Why one item of a batch cannot be decided as the reviewer saw it. */
export type BatchItemRefusalCode = VoteRefusalCode | 'not_found' | 'digest_mismatch' | 'not_alike';

/** One item of a batch vote: what the client sent, and the request as locked. */
export interface BatchItemCase {
  id: string;
  /** The digest the client showed the reviewer and sent back. */
  digest: string;
  /** The request, read under its row lock; undefined when there is none. */
  record:
    | (Batchable &
        Pick<ActionRecord, 'digest' | 'status' | 'expires_at' | 'approval' | 'escalated_rules'>)
    | undefined;
  /** The votes already on this request, counted and refused. */
  priorVotes: readonly Pick<Vote, 'user' | 'vote' | 'groups' | 'outcome'>[];
  /** The requesting side of this request. */
  parties: RequestParties;
}

export interface BatchCase {
  items: readonly BatchItemCase[];
  voter: Reviewer;
  vote: VoteChoice;
  channel: VoteChannel;
  breakGlass: boolean;
  /** Trimmed; null when empty. */
  comment: string | null;
  /** `batches.window`: items further apart than this from the oldest are not alike. */
  windowMs: number;
  now: number;
}

export interface BatchItemRefusal {
  id: string;
  code: BatchItemRefusalCode;
  /** The request's status now; null when the voter may not review it (or it does not exist). */
  status: ActionRecord['status'] | null;
  message: string;
}

export type CountedVerdict = Extract<VoteVerdict, { verdict: 'counted' }>;

export type BatchVerdict =
  /** Not a well-formed batch: nothing is recorded. */
  | { verdict: 'invalid'; code: 'invalid_request'; message: string }
  /** Some items cannot be decided as seen: none is. Every such item is named. */
  | { verdict: 'refused'; items: BatchItemRefusal[] }
  /** Every item counts, each exactly as judgeVote decided it alone, in the order sent. */
  | { verdict: 'counted'; items: Array<{ id: string; verdict: CountedVerdict }> };

/**
 * A batch vote: the same voter, vote, channel and comment on each listed item, counted only
 * if every item counts; otherwise none does (all-or-nothing). The client sends the items it
 * showed, each with the digest it showed; nothing is ever added to the list.
 *
 * Per item, the first failing check names its code:
 * 1. the request exists (`not_found`) and the voter may review it (`not_eligible`, reported
 *    without its status, which the voter may not read);
 * 2. its digest is the one the client sent (`digest_mismatch`): the action shown is the one
 *    decided;
 * 3. it is alike the batch (`not_alike`): the batch's key is the one most items share, and it
 *    lies within `windowMs` of the oldest of those;
 * 4. judgeVote counts the vote on it alone: it is pending and not expired, the voter is not on
 *    its requesting side, step-up, one vote per person (judgeVote's codes). The batch decides
 *    nothing itself: each item's outcome is judgeVote's verdict.
 * Break-glass is never allowed in a batch: forcing a request is decided one request at a time.
 */
export function judgeBatch(c: BatchCase): BatchVerdict {
  const invalid = (message: string): BatchVerdict => ({
    verdict: 'invalid',
    code: 'invalid_request',
    message,
  });
  if (c.breakGlass) return invalid('break-glass is never allowed in a batch: vote on each alone');
  if (c.items.length < BATCH_MIN_ITEMS || c.items.length > BATCH_MAX_ITEMS) {
    return invalid(`a batch has ${BATCH_MIN_ITEMS} to ${BATCH_MAX_ITEMS} items`);
  }
  if (new Set(c.items.map((i) => i.id)).size !== c.items.length) {
    return invalid('an item is listed twice');
  }

  const keys = c.items.map((i) => (i.record ? batchKeyOf(i.record) : null));
  const batchKey = mostCommon(keys);
  const oldest = Math.min(
    ...c.items.flatMap((i, n) => (i.record && keys[n] === batchKey ? [i.record.created_at] : [])),
  );

  const refusals: BatchItemRefusal[] = [];
  const counted: Array<{ id: string; verdict: CountedVerdict }> = [];
  for (const [n, item] of c.items.entries()) {
    const { record } = item;
    const refuse = (code: BatchItemRefusalCode, message: string, hidden = false) => {
      refusals.push({
        id: item.id,
        code,
        status: hidden ? null : (record?.status ?? null),
        message,
      });
    };
    if (!record) {
      refuse('not_found', `no action ${item.id}`, true);
      continue;
    }
    const groups = record.approval ? reviewGroups(record.approval, record.escalated_rules) : [];
    if (reviewerStanding(c.voter, item.parties, groups) === 'not_eligible') {
      refuse('not_eligible', 'you are not in a group that reviews this request', true);
      continue;
    }
    if (record.digest !== item.digest) {
      refuse('digest_mismatch', 'the action is not the one shown (digest differs)');
      continue;
    }
    if (keys[n] === null || keys[n] !== batchKey || record.created_at - oldest > c.windowMs) {
      refuse('not_alike', 'the request is not alike the others of the batch');
      continue;
    }
    const verdict = judgeVote({
      record,
      voter: c.voter,
      vote: c.vote,
      channel: c.channel,
      breakGlass: false,
      comment: c.comment,
      priorVotes: item.priorVotes,
      parties: item.parties,
      now: c.now,
    });
    if (verdict.verdict === 'invalid') return invalid(verdict.message);
    if (verdict.verdict === 'refused') refuse(verdict.code, verdict.message);
    else counted.push({ id: item.id, verdict });
  }
  if (refusals.length > 0) return { verdict: 'refused', items: refusals };
  return { verdict: 'counted', items: counted };
}

/** The value most entries share; a tie goes to the one listed first. */
function mostCommon(keys: readonly (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const k of keys) if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
  let best: string | null = null;
  for (const [k, n] of counts) if (best === null || n > (counts.get(best) ?? 0)) best = k;
  return best;
}

/**
 * The evidence of a batch vote made through the API (bearer token or web session): the hash
 * of the RFC 8785 canonical JSON of what was voted, the items exactly as sent. Every vote of
 * the batch carries it, so the votes of one batch can be told apart from single votes.
 */
export function apiBatchVoteEvidence(batch: {
  items: ReadonlyArray<{ id: string; digest: string }>;
  vote: VoteChoice;
  comment: string | null;
}): string {
  return voteEvidence(
    canonicalJson({
      items: batch.items.map((i) => ({ id: i.id, digest: i.digest })),
      vote: batch.vote,
      comment: batch.comment,
    }),
  );
}
