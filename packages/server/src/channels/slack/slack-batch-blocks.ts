import type { Button, KnownBlock, ModalView } from '@slack/types';
import { channelMayApprove, cutUtf16, inertLine } from '@countersign/core';
import {
  differingPaths,
  encodeBatchItem,
  selfFirst,
  type ChatBatch,
  type ChatBatchItem,
} from '../chat/chat-batch.js';
import { requirementOf, type RequestView } from '../../views/request-view.js';
import { SLACK_LIMITS as L } from './slack-limits.js';
import { code, label, mrkdwnText, plainText } from './slack-text.js';

/** `countersign.batch_<verb>`: a batch button; its value names the items (chat-batch.ts). */
export const BATCH_ACTION_ID = /^countersign\.batch_(approve|deny)$/;
export const BATCH_DENY_CALLBACK_ID = 'countersign.batch_deny';
/** A Slack button's value: at most 2,000 characters. */
const VALUE_MAX = 2000;
/** A value longer than this (in an item line) is not cut: the item is left out of the batch. */
const VALUE_SHOWN = 300;
const PATH_SHOWN = 120;

/**
 * One item as a line, or undefined if something that sets it apart would have to be cut.
 * `paths`: every path that sets any item of the batch apart; one this item lacks is shown
 * as _(absent)_ (our words, outside code, so no agent value can look like it).
 */
function itemLine(item: ChatBatchItem, paths: readonly string[]): string | undefined {
  // Counted as the reader sees it (before mrkdwn escapes), never cut.
  const whole = (text: string, max: number) =>
    [...inertLine(text)].length <= max ? code(text, 100_000) : undefined;
  const parts = [whole(item.resource, VALUE_SHOWN)];
  for (const path of paths) {
    if (!Object.hasOwn(item.differs, path)) {
      parts.push(whole(path, PATH_SHOWN), '_(absent)_');
      continue;
    }
    const value = item.differs[path];
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(whole(path, PATH_SHOWN), whole(text, VALUE_SHOWN));
  }
  if (parts.some((p) => p === undefined)) return undefined;
  const [resource, ...rest] = parts as string[];
  const pairs: string[] = [];
  for (let i = 0; i < rest.length; i += 2) pairs.push(`${rest[i]} = ${rest[i + 1]}`);
  return `• ${resource}${pairs.length > 0 ? ` — ${pairs.join(', ')}` : ''}`;
}

/** What a batch section can hold: the items shown (this request first) and those left out. */
export function fitBatch(
  view: RequestView,
  batch: ChatBatch,
  inbox: string,
): { shown: { item: ChatBatchItem; line: string }[]; left: number } {
  const ordered = selfFirst(batch, view.id);
  const paths = differingPaths(batch.items);
  const shown: { item: ChatBatchItem; line: string }[] = [];
  let text = 300 + inbox.length; // the heading and the "more" line, with its link
  let value = 0;
  for (const item of ordered) {
    const line = itemLine(item, paths);
    if (line === undefined) {
      if (item === ordered[0]) return { shown: [], left: batch.items.length };
      continue;
    }
    const size = encodeBatchItem(item).length + 1;
    if (text + line.length + 1 > L.sectionText || value + size > VALUE_MAX) continue;
    shown.push({ item, line });
    text += line.length + 1;
    value += size;
  }
  return { shown, left: batch.items.length - shown.length };
}

/**
 * The blocks that offer this request's alike group (chat-batch.ts) as one decision: every item
 * with what sets it apart, then **Approve all N** / **Deny all N…**, whose value lists exactly
 * those items (ids and 128-bit digest prefixes). Items that do not fit, or whose distinguishing
 * values would have to be cut, are left out and counted, never silently. Under `step_up: web`
 * the group is only pointed to: no batch button, as no single Approve either.
 */
export function batchBlocks(
  view: RequestView,
  batch: ChatBatch | undefined,
  publicUrl: string,
): KnownBlock[] {
  if (view.status !== 'pending' || batch === undefined || batch.items.length < 2) return [];
  const inbox = `${publicUrl.replace(/\/$/, '')}/`;
  const others = batch.items.length - 1;
  if (!channelMayApprove(requirementOf(view), 'slack')) {
    return [
      {
        type: 'context',
        elements: [
          mrkdwnText(
            `${others} alike request${others === 1 ? ' is' : 's are'} pending too. ` +
              `This rule needs the web inbox: <${inbox}|review them together in Countersign>.`,
          ),
        ],
      },
    ];
  }
  const { shown, left } = fitBatch(view, batch, inbox);
  if (shown.length < 2) {
    return [
      {
        type: 'context',
        elements: [
          mrkdwnText(
            `${others} alike request${others === 1 ? ' is' : 's are'} pending too; they do not ` +
              `fit in one Slack message: <${inbox}|decide them together in Countersign>.`,
          ),
        ],
      },
    ];
  }
  const n = shown.length;
  const value = shown.map((s) => encodeBatchItem(s.item)).join(',');
  const head =
    `*Decide ${n} alike requests together* (same rules, agent, action and environment; ` +
    `this one first). What sets each apart:`;
  const more =
    left > 0
      ? `\n${left} more alike request${left === 1 ? ' is' : 's are'} not in this batch ` +
        `(too long for a Slack message): <${inbox}|see them in Countersign>.`
      : '';
  const approve: Button = {
    type: 'button',
    action_id: 'countersign.batch_approve',
    value,
    style: 'primary',
    text: label(`Approve all ${n}`, L.buttonText),
    confirm: {
      title: label(`Approve all ${n}?`, L.confirmTitle),
      text: plainText(
        `Approve the ${n} requests listed (${view.action}, ${view.environment})? Each gets its own vote; if any of them changed, none is counted.`,
        L.confirmText,
      ),
      confirm: label(`Approve ${n}`, L.confirmButton),
      deny: label('Cancel', L.confirmButton),
    },
  };
  const deny: Button = {
    type: 'button',
    action_id: 'countersign.batch_deny',
    value,
    style: 'danger',
    text: label(`Deny all ${n}…`, L.buttonText),
  };
  return [
    { type: 'divider' },
    {
      type: 'section',
      text: mrkdwnText(
        cutUtf16(`${head}\n${shown.map((s) => s.line).join('\n')}${more}`, L.sectionText),
      ),
    },
    { type: 'actions', block_id: 'countersign.batch', elements: [approve, deny] },
  ];
}

/**
 * The modal **Deny all N…** opens: a required reason, the comment of every item's vote.
 * `private_metadata` carries the button's item list and the conversation, back untouched in
 * the signed submission (at most 3,000 characters; the list is at most 2,000).
 */
export function batchDenyModal(
  value: string,
  count: number,
  channel: string | undefined,
): ModalView {
  return {
    type: 'modal',
    callback_id: BATCH_DENY_CALLBACK_ID,
    private_metadata: JSON.stringify({ items: value, channel: channel ?? null }),
    title: label(`Deny ${count} requests`, L.modalTitle),
    submit: label(`Deny all ${count}`, L.modalTitle),
    close: label('Cancel', L.modalTitle),
    blocks: [
      {
        type: 'section',
        text: label(
          `Deny the ${count} requests listed in the message? Each gets its own vote with this reason; if any of them changed, none is counted.`,
          L.sectionText,
        ),
      },
      {
        type: 'input',
        block_id: 'reason',
        label: label('Reason (the agent and the other reviewers see it)', L.inputLabel),
        element: {
          type: 'plain_text_input',
          action_id: 'reason_input',
          multiline: true,
          min_length: 1,
          max_length: 3000,
        },
      },
    ],
  };
}
