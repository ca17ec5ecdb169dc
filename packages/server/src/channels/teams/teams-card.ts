import { channelMayApprove } from '@countersign/core';
import { requirementOf, type RequestView } from '../../views/request-view.js';
import { fitCard } from './teams-card-size.js';
import type { ChatBatch } from '../chat/chat-batch.js';
import { batchParts } from './teams-batch-card.js';
import { cardTime, inert, paramFacts, utcTime } from './teams-text.js';

/** An Adaptive Card, as JSON (https://adaptivecards.io/explorer/). */
export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: string;
  body: CardElement[];
  actions: CardElement[];
  msteams?: { width: 'Full' };
  [key: string]: unknown;
}
type CardElement = Record<string, unknown>;

/** The `Action.Execute` verbs of the card, and the input that carries the comment. */
export const VERBS = { approve: 'countersign.approve', deny: 'countersign.deny' } as const;
export const COMMENT_INPUT = 'comment';

const STATUS: Record<string, { icon: string; label: string; style: string }> = {
  pending: { icon: '⏳', label: 'Approval needed', style: 'warning' },
  approved: { icon: '✅', label: 'Approved', style: 'good' },
  denied: { icon: '⛔', label: 'Denied', style: 'attention' },
  expired: { icon: '⏰', label: 'Expired', style: 'attention' },
  cancelled: { icon: '✖️', label: 'Cancelled', style: 'emphasis' },
  completed: { icon: '✅', label: 'Approved, completed', style: 'good' },
  failed: { icon: '⚠️', label: 'Approved, failed', style: 'attention' },
};

/**
 * The card for a request: what is asked, by whom, why the policy asks, the params, the votes
 * so far, and, while it is pending, a comment box with Approve and Deny as `Action.Execute`
 * (Universal Actions, schema 1.4: https://learn.microsoft.com/microsoftteams/platform/
 * task-modules-and-cards/cards/universal-actions-for-adaptive-cards/overview). The same card,
 * rendered again, replaces every posted copy on each change, without buttons once decided.
 * `notice` heads the card when it answers a click that was not counted.
 *
 * Every agent-supplied string is made inert (teams-text.ts), and the card always fits Teams'
 * message size (teams-card-size.ts): it is rendered with shorter fields until it does, and
 * the "Open in Countersign" link, which shows everything, is always kept.
 */
export function requestCard(
  view: RequestView,
  publicUrl: string,
  notice?: string,
  batch?: ChatBatch,
): AdaptiveCard {
  return fitCard(
    (scale) => renderCard(view, publicUrl, notice, scale, batch),
    () => minimalCard(view, publicUrl, notice),
  );
}

function renderCard(
  view: RequestView,
  publicUrl: string,
  notice: string | undefined,
  scale: number,
  batch: ChatBatch | undefined,
): AdaptiveCard {
  // A field's limit at this scale, never below a readable minimum.
  const n = (max: number) => Math.max(24, Math.floor(max * scale));
  const md = (value: string, max: number) => inert(value, n(max));
  const status = STATUS[view.status] ?? {
    icon: '❔',
    label: inert(view.status, 20),
    style: 'default',
  };
  const risk = view.risk ? `${md(view.risk, 20)} risk · ` : '';
  const body: CardElement[] = [
    {
      type: 'Container',
      style: status.style,
      bleed: true,
      items: [
        text(`${status.icon} ${status.label}: ${md(view.action, 200)}`, {
          size: 'Large',
          weight: 'Bolder',
        }),
        text(`${risk}requested by agent ${md(view.agent.id, 128)}`, {
          isSubtle: true,
          spacing: 'None',
          ...(view.risk === 'high' || view.risk === 'critical' ? { color: 'Attention' } : {}),
        }),
      ],
    },
  ];
  if (notice !== undefined) body.push(noticeBlock(notice));
  body.push({ type: 'FactSet', facts: facts(view, md) });
  if (view.justification) {
    body.push(heading('Justification'), text(md(view.justification, 1500)));
  }
  body.push(heading('Why the policy asks'), text(md(view.reason, 500)));
  for (const t of view.explanation.filter((e) => e.outcome === 'matched').slice(0, 10)) {
    body.push(text(`• **${md(t.rule, 128)}**: ${md(t.detail, 300)}`, { spacing: 'None' }));
  }
  const params = paramFacts(view.params, Math.max(3, Math.floor(12 * scale)), n(200));
  body.push(heading('Params'));
  if (params.facts.length > 0) body.push({ type: 'FactSet', facts: params.facts });
  else body.push(text('(none)', { isSubtle: true }));
  if (params.hidden > 0) {
    body.push(text(`… and ${params.hidden} more: open the full request`, { isSubtle: true }));
  }
  const votes = view.votes.slice(-Math.max(3, Math.floor(20 * scale)));
  if (votes.length > 0) body.push(heading('Votes'));
  for (const v of votes) {
    const verb = v.vote === 'approve' ? '✅ approved' : '❌ denied';
    const comment = v.comment ? `: “${md(v.comment, 300)}”` : '';
    body.push(
      text(`**${md(v.user, 64)}** ${verb} ${cardTime(v.at)} via ${md(v.channel, 16)}${comment}`, {
        spacing: 'Small',
      }),
    );
  }
  if (view.escalated_rules.length > 0) {
    const rules = view.escalated_rules.map((r) => md(r, 128)).join(', ');
    body.push(text(`⏫ Escalated (${rules}): more reviewers may now approve.`, { isSubtle: true }));
  }
  if (view.status !== 'pending' && view.decided_at) {
    body.push(
      text(`${status.icon} ${status.label} ${cardTime(view.decided_at)}: ${md(view.reason, 500)}`, {
        weight: 'Bolder',
      }),
    );
  }
  // The alike group, if any (teams-batch-card.ts): above the comment box, which serves both.
  const grouped = batchParts(view, batch, publicUrl);
  body.push(...grouped.body);
  const actions = actionsOf(view, publicUrl, body, md);
  return card(body, [...actions.slice(0, -1), ...grouped.actions, ...actions.slice(-1)]);
}

/**
 * What a pending card offers. An approval through Teams can count only if core's
 * `channelMayApprove` says so (`step_up: web` needs the web inbox's sign-in): otherwise the
 * card only links there; the vote service refuses such an approval anyway.
 */
function actionsOf(
  view: RequestView,
  publicUrl: string,
  body: CardElement[],
  md: (value: string, max: number) => string,
): CardElement[] {
  const open = openLink(view, publicUrl);
  if (view.status !== 'pending') return [open];
  if (!channelMayApprove(requirementOf(view), 'teams')) {
    body.push(text('Approving this request needs a sign-in to Countersign.', { isSubtle: true }));
    return [{ ...open, title: 'Review in Countersign', style: 'positive' }];
  }
  body.push({
    type: 'Input.Text',
    id: COMMENT_INPUT,
    isMultiline: true,
    maxLength: 1000,
    placeholder: 'Comment (optional; say why if you deny)',
  });
  const data = { action_id: view.id };
  const approve = { type: 'Action.Execute', verb: VERBS.approve, data, style: 'positive' };
  return [
    view.risk === 'high' || view.risk === 'critical'
      ? // A second click for risky actions: a stray tap on a phone must not approve them.
        // The inner button still sends the outer card's comment (inputs of parent cards).
        {
          type: 'Action.ShowCard',
          title: 'Approve…',
          card: {
            type: 'AdaptiveCard',
            body: [
              text(
                `Approve ${md(view.action, 200)} on ${md(view.resource, 300)} (${md(view.environment, 64)})? It is a ${md(view.risk ?? '', 20)}-risk action.`,
              ),
            ],
            actions: [{ ...approve, title: 'Yes, approve' }],
          },
        }
      : { ...approve, title: 'Approve' },
    { type: 'Action.Execute', title: 'Deny', verb: VERBS.deny, data, style: 'destructive' },
    open,
  ];
}

/**
 * The last resort when even the shortest rendering is too large (say, hundreds of long
 * escalated rules): what, where, and the link to the full request; no buttons, since the
 * approver must see what they approve.
 */
function minimalCard(view: RequestView, publicUrl: string, notice?: string): AdaptiveCard {
  const status = STATUS[view.status] ?? { icon: '❔', label: 'Request', style: 'default' };
  const body: CardElement[] = [
    text(`${status.icon} ${status.label}: ${inert(view.action, 100)}`, {
      size: 'Large',
      weight: 'Bolder',
    }),
  ];
  if (notice !== undefined) body.push(noticeBlock(notice));
  body.push(
    text(`On ${inert(view.resource, 200)} (${inert(view.environment, 32)})`),
    text('This request is too large to show in Teams: open it in Countersign.', {
      isSubtle: true,
    }),
  );
  return card(body, [{ ...openLink(view, publicUrl), style: 'positive' }]);
}

function openLink(view: RequestView, publicUrl: string): CardElement {
  const url = `${publicUrl.replace(/\/$/, '')}/actions/${encodeURIComponent(view.id)}`;
  return { type: 'Action.OpenUrl', title: 'Open in Countersign', url };
}

function noticeBlock(notice: string): CardElement {
  return {
    type: 'Container',
    style: 'attention',
    items: [text(`⚠️ ${inert(notice, 500)}`, { weight: 'Bolder' })],
  };
}

function card(body: CardElement[], actions: CardElement[]): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    actions,
  };
}

/** The answer to a click that cannot be shown against a request (unknown request, no user). */
export function noticeCard(
  notice: string,
  footer = 'Nothing was recorded as a vote. Ask a Countersign admin if this looks wrong.',
): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.4',
    body: [
      {
        type: 'Container',
        style: 'attention',
        items: [text(`⚠️ ${inert(notice, 500)}`, { weight: 'Bolder' })],
      },
      text(footer, { isSubtle: true }),
    ],
    actions: [],
  };
}

function facts(
  view: RequestView,
  md: (value: string, max: number) => string,
): Array<{ title: string; value: string }> {
  const quorum = view.progress
    ? view.progress.clauses
        .map((c) => {
          const missing = c.missing.map((m) => `${m.need} more from ${md(m.group, 64)}`);
          const more = missing.length > 0 ? ` (needs ${missing.join(', ')})` : '';
          return `${md(c.rule, 128)}: ${c.approvals} of ${c.quorum}${more}`;
        })
        .join('; ')
    : '—';
  const pending = view.status === 'pending';
  return [
    { title: 'Agent', value: md(view.agent.id, 128) },
    { title: 'On behalf of', value: view.on_behalf_of ? md(view.on_behalf_of, 200) : '—' },
    { title: 'Resource', value: md(view.resource, 500) },
    { title: 'Environment', value: md(view.environment, 64) },
    { title: 'Rules', value: view.rules.map((r) => md(r, 128)).join(', ') || '—' },
    { title: 'Approvals', value: quorum },
    {
      title: pending ? 'Expires' : 'Requested',
      value: utcTime(pending ? view.expires_at : view.created_at),
    },
    { title: 'Request', value: view.id },
  ];
}

function heading(title: string): CardElement {
  return text(title, { weight: 'Bolder', spacing: 'Medium' });
}

function text(value: string, extra: Record<string, unknown> = {}): CardElement {
  return { type: 'TextBlock', text: value, wrap: true, ...extra };
}
