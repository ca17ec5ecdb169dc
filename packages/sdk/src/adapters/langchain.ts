/**
 * LangChain.js (`@langchain/core/tools`): make a structured tool ask Countersign before each
 * call.
 * @module
 */
import type { ToolRunnableConfig } from '@langchain/core/tools';
import { DynamicStructuredTool, type StructuredToolInterface } from '@langchain/core/tools';
import type { JsonObject } from '../wire-types.js';
import { runWithApproval, type ApprovalOptions } from './approval-gate.js';

export type { ApprovalOptions, Refusal } from './approval-gate.js';

/**
 * Returns a tool with the same name, description and schema that first needs approval.
 * Approved: the original tool runs and its result is reported. Denied, expired, or no gateway
 * to ask: the original never runs and the tool returns the reason as plain text (a
 * `ToolMessage` when invoked with a tool call), which the model reads. The run's `signal`
 * cancels the request.
 *
 * @example
 * import { tool } from '@langchain/core/tools';
 * import { z } from 'zod';
 * import { withApproval } from '@countersign/sdk/langchain';
 *
 * const grantRole = withApproval(
 *   tool(async ({ user, role }) => iam.grant(user, role), {
 *     name: 'grant_role', description: 'Grant an IAM role',
 *     schema: z.object({ user: z.string(), role: z.string() }) }),
 *   { client, action: 'iam.role.grant', resource: (i: { role: string }) => `iam://prod/roles/${i.role}`,
 *     justification: 'requested in the on-call channel' },
 * );
 * // createAgent({ model, tools: [grantRole] }) or grantRole.invoke(toolCall)
 */
export function withApproval<I = JsonObject>(
  tool: StructuredToolInterface,
  options: ApprovalOptions<I>,
): DynamicStructuredTool {
  return new DynamicStructuredTool({
    name: tool.name,
    description: tool.description,
    schema: tool.schema,
    returnDirect: tool.returnDirect,
    func: async (input: unknown, _runManager, config?: ToolRunnableConfig) =>
      runWithApproval(
        options,
        input as I,
        // The wrapper already turned the tool call into a ToolMessage; the inner tool is
        // invoked with the plain input, or it would wrap its answer a second time.
        (): Promise<unknown> => tool.invoke(input, { ...config, toolCall: undefined }),
        config?.signal,
      ),
  });
}
