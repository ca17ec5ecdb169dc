import type { Channel } from '../model/action-record.js';
import type { ApprovalRequirement } from '../policy/types.js';

/**
 * Whether an approval through `channel` can count for a request with this requirement.
 * `step_up: web` on any clause means approving needs the web inbox's single sign-on: a chat
 * click, an API token or the CLI is not enough. Denying is always allowed (failing closed
 * needs no step-up). Renderers ask this to decide whether to offer an Approve button; the
 * vote judge asks it to decide the vote: one rule, one place.
 */
export function channelMayApprove(
  requirement: ApprovalRequirement | null | undefined,
  channel: Channel,
): boolean {
  if (!requirement?.clauses.some((c) => c.step_up === 'web')) return true;
  return channel === 'web';
}
