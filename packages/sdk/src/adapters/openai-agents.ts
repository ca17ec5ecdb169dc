/**
 * OpenAI Agents SDK (`@openai/agents`): make a function `tool()` ask Countersign before each
 * call.
 * @module
 */
import type { FunctionTool } from '@openai/agents';
import type { JsonObject } from '../wire-types.js';
import { runWithApproval, type ApprovalOptions } from './approval-gate.js';

export type { ApprovalOptions, Refusal } from './approval-gate.js';

/**
 * Wraps an Agents SDK function tool so that every call first needs approval. Approved: the
 * tool runs as before and its result is reported. Denied, expired, or no gateway to ask: the
 * tool never runs and its output is the reason as plain text for the model. `I` is the shape
 * of the tool's (JSON) input, for typing `action`/`resource`/`params` functions.
 *
 * This is Countersign's approval, enforced by a gateway and recorded as evidence; it works
 * alongside the SDK's own `needsApproval` interruptions, which it leaves untouched.
 *
 * @example
 * import { Agent, tool } from '@openai/agents';
 * import { z } from 'zod';
 * import { withApproval } from '@countersign/sdk/openai-agents';
 *
 * const restart = withApproval(
 *   tool({ name: 'restart_deployment', description: 'Restart a deployment',
 *          parameters: z.object({ deployment: z.string() }),
 *          execute: async ({ deployment }) => kubectlRestart(deployment) }),
 *   { client, action: 'k8s.rollout.restart', environment: 'production',
 *     resource: (input: { deployment: string }) => `k8s://prod/${input.deployment}` },
 * );
 * const agent = new Agent({ name: 'ops', instructions: '…', tools: [restart] });
 */
export function withApproval<T extends FunctionTool<never, never, unknown>, I = JsonObject>(
  tool: T,
  options: ApprovalOptions<I>,
): T {
  const invoke = tool.invoke.bind(tool);
  const wrapped: FunctionTool<never, never, unknown> = {
    ...tool,
    invoke: async (runContext, input, details) => {
      let parsed: I;
      try {
        parsed = JSON.parse(input) as I;
      } catch {
        return 'Not run: the tool input is not valid JSON, so no approval could be asked for it.';
      }
      return runWithApproval(
        options,
        parsed,
        () => invoke(runContext, input, details),
        details?.signal,
      );
    },
  };
  return wrapped as T;
}
