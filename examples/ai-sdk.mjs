#!/usr/bin/env node
// Vercel AI SDK: two tools that need Countersign's approval before each call.
//
//   COUNTERSIGN_URL=http://localhost:8080 COUNTERSIGN_TOKEN=csa_… node examples/ai-sdk.mjs
//
// The "model" here is scripted (the AI SDK's MockLanguageModelV3), so the example runs without
// a model key: it calls both tools once. With the demo policy the small export is allowed and
// the DROP TABLE is denied; the model reads the denial as the tool's output. Swap in a real
// model (e.g. `openai('gpt-4.1')` from @ai-sdk/openai) and nothing else changes.
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { Countersign } from '@countersign/sdk';
import { withApproval } from '@countersign/sdk/ai';

const client = new Countersign({
  url: process.env.COUNTERSIGN_URL ?? 'http://localhost:8080',
  token: process.env.COUNTERSIGN_TOKEN ?? '',
  retry: { attempts: 2 },
});

const tools = {
  exportCustomers: withApproval(
    tool({
      description: 'Export rows of the production customers table',
      inputSchema: z.object({ rows: z.number().int().positive() }),
      execute: async ({ rows }) => `exported ${rows} rows`,
    }),
    {
      client,
      action: 'db.export',
      resource: 'postgres://prod/customers',
      environment: 'production',
      justification: 'asked for by the support copilot',
    },
  ),
  dropTable: withApproval(
    tool({
      description: 'Drop a production table',
      inputSchema: z.object({ table: z.string() }),
      execute: async ({ table }) => `dropped ${table}`,
    }),
    {
      client,
      action: 'db.ddl.drop_table',
      resource: ({ table }) => `postgres://prod/${table}`,
      environment: 'production',
    },
  ),
};

const usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 0, text: 0, reasoning: 0 },
};
let step = 0;
const scriptedModel = new MockLanguageModelV3({
  doGenerate: async () =>
    step++ === 0
      ? {
          content: [
            {
              type: 'tool-call',
              toolCallId: 'c1',
              toolName: 'exportCustomers',
              input: '{"rows":250}',
            },
            {
              type: 'tool-call',
              toolCallId: 'c2',
              toolName: 'dropTable',
              input: '{"table":"customers_tmp"}',
            },
          ],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage,
          warnings: [],
        }
      : {
          content: [{ type: 'text', text: 'Done; see the tool results.' }],
          finishReason: { unified: 'stop', raw: undefined },
          usage,
          warnings: [],
        },
});

const result = await generateText({
  model: scriptedModel,
  tools,
  prompt: 'Export 250 customers, then drop the temporary table.',
  stopWhen: stepCountIs(3),
});
for (const part of result.steps[0].content) {
  if (part.type === 'tool-result') console.log(`${part.toolName}: ${part.output}`);
}
