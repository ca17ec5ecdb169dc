import { quorumProgress, type ActionRecord, type Vote, inertLine } from '@countersign/core';
import type { ActionView } from '../http/schemas.js';

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export interface ViewOptions {
  votes?: readonly Vote[];
  /** Only the requesting agent sees the grant: it is a bearer capability for the action. */
  withGrant?: boolean;
  /** The requesting agent's owners in the directory now, so a reviewer sees who is behind it. */
  owners?: readonly string[] | undefined;
}

/** The API's representation of a request: times as RFC 3339, the policy trace as `explanation`. */
export function actionView(r: ActionRecord, options: ViewOptions = {}): ActionView {
  const counted = (options.votes ?? []).filter((v) => v.outcome === 'counted');
  return {
    id: r.id,
    status: r.status,
    decision: r.decision,
    reason: r.reason,
    message: message(r, counted),
    rules: r.rules,
    digest: r.digest,
    policy_version: r.policy_version,
    agent: options.owners ? { id: r.agent_id, owners: [...options.owners] } : { id: r.agent_id },
    action: r.action,
    resource: r.resource,
    environment: r.environment,
    params: r.params,
    justification: r.justification,
    risk: r.risk,
    on_behalf_of: r.on_behalf_of,
    context: r.context,
    callback_url: r.callback_url,
    idempotency_key: r.idempotency_key,
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
    expires_at: isoOrNull(r.expires_at),
    decided_at: isoOrNull(r.decided_at),
    approval: r.approval,
    progress: r.approval
      ? quorumProgress(
          r.approval,
          counted
            .filter((v) => v.vote === 'approve')
            .map((v) => ({ user: v.user, groups: v.groups })),
          r.escalated_rules,
        )
      : null,
    escalated_rules: r.escalated_rules,
    break_glass: r.break_glass,
    votes: counted.map((v) => ({
      user: v.user,
      vote: v.vote,
      comment: v.comment,
      channel: v.channel,
      at: iso(v.at),
      break_glass: v.break_glass,
    })),
    grant:
      options.withGrant && r.grant
        ? {
            token: r.grant.token,
            jti: r.grant.jti,
            expires_at: iso(r.grant.expires_at),
            redeemed_at: isoOrNull(r.grant.redeemed_at),
          }
        : null,
    explanation: r.trace,
    result: r.result && {
      outcome: r.result.outcome,
      detail: r.result.detail,
      at: iso(r.result.at),
    },
    standing_approval_id: r.standing_approval_id ?? null,
  };
}

/**
 * One paragraph an agent can hand to its model as is: what was decided, by whom, and every
 * reviewer's comment. It is the one prose field of the view, and webhook receivers post it to
 * chat and tickets, so it stays one paragraph whatever the agent or a reviewer wrote: line
 * breaks, control characters and bidi overrides in the quoted text are made visible
 * (inert-text.ts). It is plain text, not markup; receivers escape it for theirs.
 */
function message(r: ActionRecord, votes: readonly Vote[]): string {
  return inertLine(prose(r, votes));
}

function prose(r: ActionRecord, votes: readonly Vote[]): string {
  const what = `${r.action} on ${r.resource} (${r.environment})`;
  const head: Record<ActionRecord['status'], string> = {
    pending: `The request to run ${what} is waiting for approval: ${r.reason}.`,
    approved: `The request to run ${what} was approved: ${r.reason}.`,
    denied: `The request to run ${what} was denied: ${r.reason}.`,
    expired: `The request to run ${what} expired without a decision and is refused: ${r.reason}.`,
    cancelled: `The request to run ${what} was cancelled: ${r.reason}.`,
    completed: `The approved request to run ${what} was reported completed.`,
    failed: `The approved request to run ${what} was reported failed.`,
  };
  const comments = votes.filter((v) => v.comment).map((v) => `${v.user} (${v.vote}): ${v.comment}`);
  return comments.length === 0
    ? head[r.status]
    : `${head[r.status]} Comments: ${comments.join('; ')}.`;
}
