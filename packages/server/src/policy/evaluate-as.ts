import {
  CountersignError,
  type ActionRequestInput,
  type PolicyDecision,
  type PolicyInput,
} from '@countersign/core';
import type { Principal } from '../auth/principal.js';
import type { Directory } from '../config/directory.js';
import type { PolicyStore } from './policy-store.js';

/**
 * Who a dry run may evaluate as: an agent only as itself; an admin may ask "what if agent X
 * sent this?" (no agent named: `anonymous`). One rule for every dry-run surface, the native
 * `POST /v1/policy/evaluate` and AuthZEN's evaluation endpoints alike.
 */
export function evaluatingAgent(principal: Principal, requested: string | undefined): string {
  if (principal.kind === 'agent' && requested !== undefined && requested !== principal.id) {
    throw new CountersignError('forbidden', 'an agent can only evaluate as itself');
  }
  return principal.kind === 'agent' ? principal.id : (requested ?? 'anonymous');
}

/**
 * What the policy is asked about `agentId` sending `input`: one shape for the submission
 * (ActionService.submit) and every dry run, so they cannot drift apart.
 */
export function policyInputOf(
  agentId: string,
  owners: readonly string[],
  input: ActionRequestInput,
): PolicyInput {
  return {
    action: input.action,
    resource: input.resource,
    environment: input.environment,
    params: input.params,
    risk: input.risk,
    justification: input.justification,
    on_behalf_of: input.on_behalf_of,
    context: input.context,
    agent: { id: agentId, owners },
  };
}

/**
 * The policy's answer for `agentId` sending `input`, with the agent's owners from the
 * directory: exactly what `ActionService.submit` asks the policy, and nothing is recorded.
 */
export function evaluateAs(
  policy: PolicyStore,
  directory: Directory,
  agentId: string,
  input: ActionRequestInput,
): PolicyDecision {
  return policy.current.evaluate(
    policyInputOf(agentId, directory.agent(agentId)?.owners ?? [], input),
  );
}
