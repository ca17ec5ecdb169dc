/**
 * Vercel AI SDK (`ai` ≥ 5): make a `tool()` ask Countersign before each call.
 * @module
 */
import type { Tool, ToolExecutionOptions } from 'ai';
import { CountersignError } from '../errors.js';
import { runWithApproval, type ApprovalOptions } from './approval-gate.js';

export type { ApprovalOptions, Refusal } from './approval-gate.js';

/**
 * Wraps an AI SDK tool so that every call first needs approval. Approved: the tool's own
 * `execute` runs and its result is reported. Denied, expired, or no gateway to ask: `execute`
 * never runs and the tool's output is the reason as plain text, which the model reads and can
 * act on (not an exception that ends the run). The call's `abortSignal` cancels the request.
 * A tool that streams preliminary results is run to its final result.
 *
 * @example
 * import { tool } from 'ai';
 * import { z } from 'zod';
 * import { Countersign } from '@countersign/sdk';
 * import { withApproval } from '@countersign/sdk/ai';
 *
 * const client = new Countersign({ url: 'http://localhost:8080', token: process.env.COUNTERSIGN_TOKEN! });
 * const exportRows = withApproval(
 *   tool({ description: 'Export customer rows', inputSchema: z.object({ rows: z.number() }),
 *          execute: async ({ rows }) => exportCustomers(rows) }),
 *   { client, action: 'db.export', resource: 'postgres://prod/customers', environment: 'production',
 *     justification: 'requested by the support copilot' },
 * );
 * // generateText({ model, tools: { exportRows }, … })
 */
export function withApproval<I, O>(
  tool: Tool<I, O>,
  options: ApprovalOptions<I>,
): Tool<I, O | string> {
  const execute = tool.execute as
    ((input: I, o: ToolExecutionOptions) => AsyncIterable<O> | PromiseLike<O> | O) | undefined;
  if (!execute) {
    throw new CountersignError('invalid_options', 'withApproval needs a tool with an execute');
  }
  // Tool call ids whose output is a refusal: a custom toModelOutput is only shown real output.
  const refused = new Set<string>();
  const wrapped = {
    ...tool,
    execute: async (input: I, callOptions: ToolExecutionOptions): Promise<O | string> => {
      let ran = false;
      const output = await runWithApproval(
        options,
        input,
        async () => {
          ran = true;
          return finalOutput(execute(input, callOptions));
        },
        callOptions.abortSignal,
      );
      if (!ran) refused.add(callOptions.toolCallId);
      return output;
    },
  };
  const toModelOutput = tool.toModelOutput;
  if (toModelOutput) {
    type ModelOutputArgs = Parameters<typeof toModelOutput>[0];
    Object.assign(wrapped, {
      toModelOutput: (args: ModelOutputArgs) =>
        refused.delete(args.toolCallId) && typeof args.output === 'string'
          ? { type: 'text', value: args.output }
          : toModelOutput(args),
    });
  }
  return wrapped as unknown as Tool<I, O | string>;
}

async function finalOutput<O>(result: AsyncIterable<O> | PromiseLike<O> | O): Promise<O> {
  if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) {
    let last: O | undefined;
    for await (const chunk of result) last = chunk;
    return last as O;
  }
  return result;
}
