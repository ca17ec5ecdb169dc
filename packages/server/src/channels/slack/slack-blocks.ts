import type { Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { channelMayApprove, cutUtf16, inertLine } from '@countersign/core';
import type { SlackMessage } from './slack-api.js';
import { requirementOf, type RequestView } from '../../views/request-view.js';
import { SLACK_LIMITS as L } from './slack-limits.js';
import type { ChatBatch } from '../chat/chat-batch.js';
import { batchBlocks } from './slack-batch-blocks.js';
import {
  code,
  escapeMrkdwn,
  fence,
  formatParams,
  label,
  mrkdwnText,
  plainText,
  slackDate,
} from './slack-text.js';

/** `countersign.<verb>:<request id>`: what a button does, and to which request. */
export const ACTION_ID = /^countersign\.(approve|deny|open):(act_[0-9a-z]{1,60})$/;
export const actionId = (verb: 'approve' | 'deny' | 'open', id: string) =>
  `countersign.${verb}:${id}`;

// Unicode rather than `:shortcodes:`: every plain_text object carrying agent text has
// `emoji: false`, so nothing the agent writes becomes an emoji, and ours still show.
const STATUS: Record<string, { icon: string; label: string }> = {
  pending: { icon: '⏳', label: 'Approval needed' },
  approved: { icon: '✅', label: 'Approved' },
  denied: { icon: '⛔', label: 'Denied' },
  expired: { icon: '⏰', label: 'Expired' },
  cancelled: { icon: '✖️', label: 'Cancelled' },
  completed: { icon: '✅', label: 'Approved, completed' },
  failed: { icon: '⚠️', label: 'Approved, failed' },
};

/** Room kept in the params section for its heading and the "open the full request" link. */
const PARAMS_ROOM = 1800;

/**
 * The Block Kit message for a request (https://docs.slack.dev/block-kit/): what is asked,
 * by whom, why the policy asks, the params, the votes so far, and Approve / Deny while it is
 * pending; the same message, rendered again, replaces it in place on every change, without
 * buttons once it is decided. Agent text only ever sits inside a plain_text object, inline
 * code or a fence (slack-text.ts), each cut to its element's documented limit
 * (slack-limits.ts), so it can neither format nor add a section of its own.
 */
export function requestMessage(
  view: RequestView,
  publicUrl: string,
  batch?: ChatBatch,
): SlackMessage {
  const status = STATUS[view.status] ?? { icon: '❔', label: view.status };
  const link = `${publicUrl.replace(/\/$/, '')}/actions/${view.id}`;
  const risk = view.risk ? ` · ${view.risk} risk` : '';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: plainText(`${status.icon} ${status.label}: ${view.action}${risk}`, L.header),
    },
    { type: 'section', fields: fields(view) },
  ];
  if (view.justification) {
    blocks.push(section(`*Justification*\n${fence(view.justification, L.sectionText - 20)}`));
  }
  blocks.push(section(`*Why the policy asks*\n${why(view)}`));
  // The link goes last and is never cut: the fence is sized to leave room for it.
  blocks.push(
    section(`*Params*\n${formatParams(view.params, PARAMS_ROOM)}\n<${link}|Open the full request>`),
  );
  const votes = view.votes
    .slice(-20)
    .map(
      (v) =>
        `${v.vote === 'approve' ? '✅' : '❌'} ${code(v.user, 80)} ` +
        `${v.vote === 'approve' ? 'approved' : 'denied'} ${slackDate(v.at)} via ${v.channel}` +
        (v.comment ? `: ${code(v.comment, 300)}` : ''),
    );
  if (votes.length > 0) blocks.push(section(lines('*Votes*', votes, L.sectionText)));
  const notes: ContextBlock['elements'] = [];
  if (view.escalated_rules.length > 0) {
    notes.push(plainText(`⏫ Escalated: ${view.escalated_rules.join(', ')}`, L.contextText));
  }
  if (view.status !== 'pending' && view.decided_at) {
    notes.push(
      mrkdwnText(
        `${status.icon} ${escapeMrkdwn(status.label)} ${slackDate(view.decided_at)}: ${code(view.reason, 1000)}`,
      ),
    );
  }
  if (notes.length > 0) blocks.push({ type: 'context', elements: notes });
  if (view.status === 'pending')
    blocks.push({ type: 'actions', block_id: 'countersign.vote', elements: buttons(view, link) });
  blocks.push(...batchBlocks(view, batch, publicUrl));
  return { text: notificationText(view, status.label), blocks };
}

/**
 * The message's `text`: what notifications and screen readers show. Slack parses it as
 * mrkdwn, so agent text in it is one escaped, defused line (no code span: notifications show
 * the backticks).
 */
function notificationText(view: RequestView, status: string): string {
  const text = inertLine(
    `${status}: ${view.action} on ${view.resource} (${view.environment}), requested by ${view.agent.id}`,
  );
  return cutUtf16(
    escapeMrkdwn(text.replace(/@(here|channel|everyone|group)\b/gi, '@\u2060$1'))
      .replace(/&lt;([!@#])/g, '&lt;\u2060$1')
      .replace(/[*_~`]/g, (c) => `${c}\u2060`)
      .replace(/:(?=[a-z0-9+'-]+:)/gi, ':\u2060'),
    L.messageText,
  );
}

/** A thread reply under a request's message: escalation and expiry are announced, not just shown. */
export function noteFor(view: RequestView, event: string): string | undefined {
  if (event === 'action.escalated') {
    const rules = view.escalated_rules.map((r) => code(r, 130)).join(', ');
    return cutUtf16(`⏫ Escalated: more reviewers may now approve (${rules}).`, L.messageText);
  }
  if (event === 'action.decided' && view.status === 'expired') {
    return '⏰ Expired without a decision: the request is refused (fail closed).';
  }
  return undefined;
}

/** Label and value in one plain_text field each: the value cannot format or leave its field. */
function fields(view: RequestView): SectionBlock['fields'] {
  const f = (title: string, value: string) => plainText(`${title}: ${value}`, L.fieldText);
  const quorum = view.progress
    ? view.progress.clauses.map((c) => `${c.rule} ${c.approvals} of ${c.quorum}`).join('; ')
    : '—';
  const when = view.status === 'pending' ? view.expires_at : view.created_at;
  return [
    f('Agent', view.agent.id),
    f('On behalf of', view.on_behalf_of ?? '—'),
    f('Resource', view.resource),
    f('Environment', view.environment),
    f('Rules', view.rules.join(', ') || '—'),
    f('Approvals', quorum),
    f(
      view.status === 'pending' ? 'Expires' : 'Requested',
      when ? `${when.slice(0, 16).replace('T', ' ')} UTC` : '—',
    ),
  ];
}

/** The request's reason and every rule that matched, with what matched (`explanation`). */
function why(view: RequestView): string {
  const matched = view.explanation
    .filter((t) => t.outcome === 'matched')
    .slice(0, 20)
    .map((t) => `• ${code(t.rule, 130)}: ${code(t.detail, 300)}`);
  return lines(code(view.reason, 600), matched, L.sectionText - 30);
}

/** `head` and as many whole `items` as fit in `max`, then how many were left out. */
function lines(head: string, items: string[], max: number): string {
  let out = head;
  for (const [i, item] of items.entries()) {
    const more = `\n… and ${items.length - i} more`;
    if (out.length + 1 + item.length + more.length > max) return out + more;
    out += `\n${item}`;
  }
  return out;
}

function buttons(view: RequestView, link: string): Button[] {
  if (!channelMayApprove(requirementOf(view), 'slack')) {
    // step_up: web: an approval needs the web UI's sign-on, so the button is a link.
    return [
      {
        type: 'button',
        action_id: actionId('open', view.id),
        text: label('Review in Countersign', L.buttonText),
        url: link,
        style: 'primary',
      },
    ];
  }
  const approve: Button = {
    type: 'button',
    action_id: actionId('approve', view.id),
    value: view.id,
    style: 'primary',
    text: label('Approve', L.buttonText),
  };
  if (view.risk === 'high' || view.risk === 'critical') {
    // A second click for risky actions: a stray tap on a phone must not approve them.
    // The confirm text must be plain_text, at most 300 characters.
    approve.confirm = {
      title: label('Approve?', L.confirmTitle),
      text: plainText(
        `Approve ${view.action} on ${view.resource} (${view.environment})?`,
        L.confirmText,
      ),
      confirm: label('Approve', L.confirmButton),
      deny: label('Cancel', L.confirmButton),
    };
  }
  return [
    approve,
    {
      type: 'button',
      action_id: actionId('deny', view.id),
      value: view.id,
      style: 'danger',
      text: label('Deny…', L.buttonText),
    },
  ];
}

function section(text: string): KnownBlock {
  return { type: 'section', text: mrkdwnText(cutUtf16(text, L.sectionText)) };
}
