import type { Button, KnownBlock } from '@slack/types';
import type { SlackMessage } from './slack-api.js';
import { needsStepUp, type RequestView } from '../../views/request-view.js';
import { formatParams, mrkdwn, plain, slackDate, truncate } from './slack-text.js';

/** `countersign.<verb>:<request id>`: what a button does, and to which request. */
export const ACTION_ID = /^countersign\.(approve|deny|open):(act_[0-9a-z]{1,60})$/;
export const actionId = (verb: 'approve' | 'deny' | 'open', id: string) =>
  `countersign.${verb}:${id}`;

const STATUS: Record<string, { icon: string; label: string }> = {
  pending: { icon: ':hourglass_flowing_sand:', label: 'Approval needed' },
  approved: { icon: ':white_check_mark:', label: 'Approved' },
  denied: { icon: ':no_entry:', label: 'Denied' },
  expired: { icon: ':alarm_clock:', label: 'Expired' },
  cancelled: { icon: ':heavy_multiplication_x:', label: 'Cancelled' },
  completed: { icon: ':white_check_mark:', label: 'Approved, completed' },
  failed: { icon: ':warning:', label: 'Approved, failed' },
};

/**
 * The Block Kit message for a request (https://docs.slack.dev/block-kit/): what is asked,
 * by whom, why the policy asks, the params, the votes so far, and Approve / Deny while it is
 * pending; the same message, rendered again, replaces it in place on every change, without
 * buttons once it is decided. Everything the agent supplied is escaped (slack-text.ts): a
 * prompt-injected justification must not ping `@channel` or show a link approvers trust.
 */
export function requestMessage(view: RequestView, publicUrl: string): SlackMessage {
  const status = STATUS[view.status] ?? { icon: ':grey_question:', label: view.status };
  const link = `${publicUrl.replace(/\/$/, '')}/actions/${view.id}`;
  const risk = view.risk ? ` · ${view.risk} risk` : '';
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: plain(`${status.icon} ${status.label}: ${view.action}${risk}`, 150),
    },
    { type: 'section', fields: fields(view) },
  ];
  if (view.justification) {
    blocks.push(section(`*Justification*\n>${mrkdwn(view.justification, 1500)}`));
  }
  blocks.push(section(`*Why the policy asks*\n${why(view)}`));
  blocks.push(
    section(`*Params*\n${formatParams(view.params, 1200)}\n<${link}|Open the full request>`),
  );
  const votes = view.votes.map(
    (v) =>
      `${v.vote === 'approve' ? ':white_check_mark:' : ':x:'} *${mrkdwn(v.user, 64)}* ` +
      `${v.vote === 'approve' ? 'approved' : 'denied'} ${slackDate(v.at)} via ${v.channel}` +
      (v.comment ? `: “${mrkdwn(v.comment, 300)}”` : ''),
  );
  if (votes.length > 0) blocks.push(section(`*Votes*\n${votes.join('\n')}`));
  const notes: string[] = [];
  if (view.escalated_rules.length > 0) {
    notes.push(
      `:arrow_double_up: Escalated: ${view.escalated_rules.map((r) => mrkdwn(r, 128)).join(', ')}`,
    );
  }
  if (view.status !== 'pending' && view.decided_at) {
    notes.push(
      `${status.icon} ${status.label} ${slackDate(view.decided_at)}: ${mrkdwn(view.reason, 500)}`,
    );
  }
  if (notes.length > 0) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(notes.join('\n'), 2000) }],
    });
  }
  if (view.status === 'pending')
    blocks.push({ type: 'actions', block_id: 'countersign.vote', elements: buttons(view, link) });
  const text = `${status.label}: ${view.action} on ${view.resource} (${view.environment}), requested by ${view.agent.id}`;
  return { text: mrkdwn(text, 500), blocks };
}

/** A thread reply under a request's message: escalation and expiry are announced, not just shown. */
export function noteFor(view: RequestView, event: string): string | undefined {
  if (event === 'action.escalated') {
    return `:arrow_double_up: Escalated: more reviewers may now approve (${view.escalated_rules.map((r) => mrkdwn(r, 128)).join(', ')}).`;
  }
  if (event === 'action.decided' && view.status === 'expired') {
    return ':alarm_clock: Expired without a decision: the request is refused (fail closed).';
  }
  return undefined;
}

function fields(view: RequestView) {
  const f = (title: string, value: string) => ({
    type: 'mrkdwn' as const,
    text: `*${title}*\n${value}`,
  });
  const progress = view.progress;
  const quorum = progress
    ? progress.clauses
        .map((c) => `${mrkdwn(c.rule, 128)}: ${c.approvals} of ${c.quorum}`)
        .join('\n')
    : '—';
  return [
    f('Agent', mrkdwn(view.agent.id, 128)),
    f('On behalf of', view.on_behalf_of ? mrkdwn(view.on_behalf_of, 200) : '—'),
    f('Resource', mrkdwn(view.resource, 500)),
    f('Environment', mrkdwn(view.environment, 64)),
    f('Rules', view.rules.map((r) => mrkdwn(r, 128)).join(', ') || '—'),
    f('Approvals', truncate(quorum, 1000)),
    f(
      view.status === 'pending' ? 'Expires' : 'Requested',
      slackDate(view.status === 'pending' ? view.expires_at : view.created_at),
    ),
  ];
}

/** The request's reason and every rule that matched, with what matched (`explanation`). */
function why(view: RequestView): string {
  const lines = view.explanation
    .filter((t) => t.outcome === 'matched')
    .map((t) => `• *${mrkdwn(t.rule, 128)}*: ${mrkdwn(t.detail, 300)}`);
  return truncate([mrkdwn(view.reason, 500), ...lines].join('\n'), 2900);
}

function buttons(view: RequestView, link: string): Button[] {
  if (needsStepUp(view)) {
    // step_up: web — the decision needs the web UI's single sign-on, so the button is a link.
    return [
      {
        type: 'button',
        action_id: actionId('open', view.id),
        text: plain('Review in Countersign', 75),
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
    text: plain('Approve', 75),
  };
  if (view.risk === 'high' || view.risk === 'critical') {
    // A second click for risky actions: a stray tap on a phone must not approve them.
    approve.confirm = {
      title: plain('Approve?', 100),
      text: {
        type: 'mrkdwn',
        text: mrkdwn(`Approve ${view.action} on ${view.resource} (${view.environment})?`, 300),
      },
      confirm: plain('Approve', 30),
      deny: plain('Cancel', 30),
    };
  }
  return [
    approve,
    {
      type: 'button',
      action_id: actionId('deny', view.id),
      value: view.id,
      style: 'danger',
      text: plain('Deny…', 75),
    },
  ];
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } };
}
