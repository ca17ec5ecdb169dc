import { channelMayApprove, inertLine } from '@countersign/core';
import {
  differingPaths,
  selfFirst,
  type ChatBatch,
  type ChatBatchItem,
} from '../chat/chat-batch.js';
import { requirementOf, type RequestView } from '../../views/request-view.js';
import { inert } from './teams-text.js';

type CardElement = Record<string, unknown>;

/** The `Action.Execute` verbs of a batch; `data.items` lists exactly the items shown. */
export const BATCH_VERBS = {
  approve: 'countersign.batch_approve',
  deny: 'countersign.batch_deny',
} as const;

/** A value longer than this is not cut: the item is left out of the batch instead. */
const VALUE_SHOWN = 300;
/** The batch part's share of the card's 24 KiB (teams-card-size.ts). */
const BATCH_BUDGET_BYTES = 10 * 1024;

/**
 * An item as one line of inert Markdown, or undefined if a value would have to be cut.
 * `paths`: every path that sets any item of the batch apart; one this item lacks is shown as
 * _(absent)_ (our words, in italics; agent values are escaped and in bold).
 */
function itemLine(item: ChatBatchItem, paths: readonly string[]): string | undefined {
  // Counted as the reader sees it (before Markdown escapes), never cut.
  const whole = (text: string) =>
    [...inertLine(text)].length <= VALUE_SHOWN ? inert(text, 100_000) : undefined;
  const resource = whole(item.resource);
  const pairs: string[] = [];
  for (const path of paths) {
    const p = whole(path);
    if (p === undefined) return undefined;
    if (!Object.hasOwn(item.differs, path)) {
      pairs.push(`${p} = _(absent)_`);
      continue;
    }
    const value = item.differs[path];
    const v = whole(typeof value === 'string' ? value : JSON.stringify(value));
    if (v === undefined) return undefined;
    pairs.push(`${p} = **${v}**`);
  }
  if (resource === undefined) return undefined;
  return `• ${resource}${pairs.length > 0 ? ` — ${pairs.join(', ')}` : ''}`;
}

/**
 * The part of a request's card that offers its alike group (chat/chat-batch.ts) as one
 * decision: each item's line with what sets it apart (this request first), then **Approve all
 * N…** (a confirmation naming the count) and **Deny all N**, whose `data.items` are exactly
 * the ids and digests listed. Items that would have to be cut, or that do not fit the batch's
 * share of the card, are left out and counted. Under `step_up: web`, only a line.
 */
export function batchParts(
  view: RequestView,
  batch: ChatBatch | undefined,
  publicUrl: string,
): { body: CardElement[]; actions: CardElement[] } {
  const none = { body: [], actions: [] };
  if (view.status !== 'pending' || batch === undefined || batch.items.length < 2) return none;
  const others = batch.items.length - 1;
  const inbox = `${publicUrl.replace(/\/$/, '')}/`;
  const pendingToo = `${others} alike request${others === 1 ? ' is' : 's are'} pending too`;
  if (!channelMayApprove(requirementOf(view), 'teams')) {
    return {
      body: [text(`${pendingToo}: review them together in Countersign's web inbox.`)],
      actions: [],
    };
  }
  const ordered = selfFirst(batch, view.id);
  const paths = differingPaths(batch.items);
  const shown: { item: ChatBatchItem; line: string }[] = [];
  let bytes = 0;
  for (const item of ordered) {
    const line = itemLine(item, paths);
    if (line === undefined) {
      if (item === ordered[0]) break;
      continue;
    }
    const size = Buffer.byteLength(line, 'utf8') + item.id.length + item.digest.length + 40;
    if (bytes + size > BATCH_BUDGET_BYTES) continue;
    shown.push({ item, line });
    bytes += size;
  }
  if (shown.length < 2) {
    return {
      body: [text(`${pendingToo}; they do not fit in one card: decide them in Countersign.`)],
      actions: [{ type: 'Action.OpenUrl', title: 'Open the inbox', url: inbox }],
    };
  }
  const n = shown.length;
  const left = batch.items.length - n;
  const body: CardElement[] = [
    text(`Decide ${n} alike requests together`, { weight: 'Bolder', spacing: 'Large' }),
    text('Same rules, agent, action and environment; this one first. What sets each apart:', {
      isSubtle: true,
      spacing: 'None',
    }),
    ...shown.map((s) => text(s.line, { spacing: 'Small' })),
  ];
  if (left > 0) {
    body.push(
      text(
        `${left} more alike request${left === 1 ? ' is' : 's are'} not in this batch (too long for a card): see them in Countersign.`,
        { isSubtle: true },
      ),
    );
  }
  const data = {
    action_id: view.id,
    items: shown.map((s) => ({ id: s.item.id, digest: s.item.digest })),
  };
  return {
    body,
    actions: [
      {
        type: 'Action.ShowCard',
        title: `Approve all ${n}…`,
        card: {
          type: 'AdaptiveCard',
          body: [
            text(
              `Approve the ${n} requests listed? Each gets its own vote; if any of them changed, none is counted.`,
            ),
          ],
          actions: [
            {
              type: 'Action.Execute',
              title: `Yes, approve all ${n}`,
              verb: BATCH_VERBS.approve,
              data,
              style: 'positive',
            },
          ],
        },
      },
      {
        type: 'Action.Execute',
        title: `Deny all ${n}`,
        verb: BATCH_VERBS.deny,
        data,
        style: 'destructive',
      },
    ],
  };
}

function text(value: string, extra: Record<string, unknown> = {}): CardElement {
  return { type: 'TextBlock', text: value, wrap: true, ...extra };
}
