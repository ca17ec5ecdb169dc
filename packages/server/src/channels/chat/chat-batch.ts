/**
 * @module
 * Batches in chat messages (docs/fatigue.md, "Batches"): which alike pending requests a chat
 * message offers to decide together, and how a button carries exactly the items it showed.
 * The grouping is core's (`groupAlike`, `distinguishing`); the query is the store's
 * (`ActionRepository.list`); this module only joins them for Slack and Teams, and reads back
 * what a click sends. A click never widens a batch: it names its items, and the vote service
 * decides them all or none (`VoteService.voteBatch`).
 */
import {
  distinguishing,
  groupAlike,
  type ActionRecord,
  type JsonValue,
  type Status,
} from '@countersign/core';
import type { RequestView } from '../../views/request-view.js';

/** One request of a batch as a chat message lists it. */
export interface ChatBatchItem {
  id: string;
  digest: string;
  resource: string;
  /** The paths that set it apart from the others (core `distinguishing`). */
  differs: Record<string, JsonValue>;
}

/**
 * Every path that sets some item of the batch apart (the resource has its own place): an
 * item that lacks one is shown with it, as absent (never left blank).
 */
export function differingPaths(items: readonly ChatBatchItem[]): string[] {
  const paths = new Set(items.flatMap((i) => Object.keys(i.differs)));
  paths.delete('resource');
  return [...paths];
}

/** The alike group a request belongs to, the request itself included, oldest first. */
export interface ChatBatch {
  items: ChatBatchItem[];
}

/**
 * The batch's items in the order a message shows them: the request the message is about
 * first, then the others; none when that request is not in the batch.
 */
export function selfFirst(batch: ChatBatch, id: string): ChatBatchItem[] {
  const self = batch.items.find((i) => i.id === id);
  return self ? [self, ...batch.items.filter((i) => i !== self)] : [];
}

/** The alike group of a request as it stands now; undefined when it has no alike sibling. */
export type ChatBatchSource = (view: RequestView) => Promise<ChatBatch | undefined>;

/** The store's query, as `ActionRepository.list` answers it. */
export type PendingAlikeQuery = (filter: {
  status: Status;
  agent_id: string;
  action: string;
  environment: string;
  limit: number;
}) => Promise<ActionRecord[]>;

/** Enough pending requests of one agent, action and environment for any group (50 a group). */
const CANDIDATES = 500;

/**
 * The batch source the chat channels use: the pending requests with the same agent, action
 * and environment (the store), grouped by core exactly as `GET /v1/batches` groups them.
 */
export function chatBatchSource(query: PendingAlikeQuery, windowMs: number): ChatBatchSource {
  return async (view) => {
    if (view.status !== 'pending') return undefined;
    const pending = await query({
      status: 'pending',
      agent_id: view.agent.id,
      action: view.action,
      environment: view.environment,
      limit: CANDIDATES,
    });
    const group = groupAlike(pending, windowMs).find((g) => g.items.some((r) => r.id === view.id));
    if (group === undefined) return undefined;
    const d = distinguishing(group.items);
    return {
      items: group.items.map((r, i) => ({
        id: r.id,
        digest: r.digest,
        resource: r.resource,
        differs: d.items[i]?.differs ?? {},
      })),
    };
  };
}

/**
 * How many hex digits of each digest a button carries: 128 bits, so no agent can make another
 * request whose digest starts the same, and a batch of 30 still fits Slack's 2,000-character
 * button value. The click is matched against the stored digest; a mismatch is refused.
 */
export const DIGEST_PREFIX_HEX = 32;
const ID = /^act_[0-9a-z]{1,60}$/;
const PREFIX = new RegExp(`^[0-9a-f]{${DIGEST_PREFIX_HEX}}$`);

/** `act_…:<hex>` for one item, as a button value lists it. */
export function encodeBatchItem(item: { id: string; digest: string }): string {
  return `${item.id}:${item.digest.replace(/^sha256:/, '').slice(0, DIGEST_PREFIX_HEX)}`;
}

/** `id:prefix,id:prefix,…` from a button, or undefined if it is not one Countersign wrote. */
export function decodeBatchItems(value: string): { id: string; prefix: string }[] | undefined {
  const items = value.split(',').map((part) => {
    const [id = '', prefix = '', extra] = part.split(':');
    return extra === undefined && ID.test(id) && PREFIX.test(prefix) ? { id, prefix } : undefined;
  });
  if (items.some((i) => i === undefined)) return undefined;
  const ok = items as { id: string; prefix: string }[];
  return new Set(ok.map((i) => i.id)).size === ok.length ? ok : undefined;
}

/**
 * The `{id, digest}` list a batch vote sends, from what a button carried: the stored digest
 * where it starts with the carried prefix, else the prefix itself, which matches nothing, so
 * the vote service refuses the whole batch and names that item (`digest_mismatch`).
 */
export async function resolveBatchItems(
  items: readonly { id: string; prefix: string }[],
  find: (id: string) => Promise<ActionRecord | undefined>,
): Promise<{ id: string; digest: string }[]> {
  return Promise.all(
    items.map(async ({ id, prefix }) => {
      const record = await find(id);
      const digest = record?.digest;
      return {
        id,
        digest:
          digest !== undefined && digest.startsWith(`sha256:${prefix}`)
            ? digest
            : `sha256:${prefix}`,
      };
    }),
  );
}

/**
 * The batch to render with a request's message, or none: a store that cannot answer must not
 * keep the request itself from its reviewers, so the failure is logged and the message goes
 * out without a batch.
 */
export async function batchOf(
  view: RequestView,
  source: ChatBatchSource | undefined,
  log: { warn(msg: string): void },
): Promise<ChatBatch | undefined> {
  if (source === undefined || view.status !== 'pending') return undefined;
  try {
    return await source(view);
  } catch (e) {
    log.warn(`could not read the alike requests of ${view.id}: ${String(e)}`);
    return undefined;
  }
}
