#!/usr/bin/env node
// LangChain.js: a SQL tool that needs Countersign's approval before each call.
//
//   COUNTERSIGN_URL=http://localhost:8080 COUNTERSIGN_TOKEN=csa_… node examples/langchain.mjs
//
// The tool is invoked with tool calls, as an agent's tool node would after a model asked for
// them (no model here). With the demo policy the read-only query is allowed at once and the
// DELETE matches no rule, so it is denied (fail closed); both answers are ToolMessages.
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { Countersign } from '@countersign/sdk';
import { withApproval } from '@countersign/sdk/langchain';

const client = new Countersign({
  url: process.env.COUNTERSIGN_URL ?? 'http://localhost:8080',
  token: process.env.COUNTERSIGN_TOKEN ?? '',
  retry: { attempts: 2 },
});

const runSql = withApproval(
  tool(async ({ sql }) => `ran: ${sql} (3 rows)`, {
    name: 'run_sql',
    description: 'Run SQL against the production customers database',
    schema: z.object({ sql: z.string() }),
  }),
  {
    client,
    action: 'db.query',
    resource: 'postgres://prod/customers',
    environment: 'production',
  },
);

for (const sql of [
  'SELECT id, plan FROM customers LIMIT 3',
  'DELETE FROM customers WHERE plan = $1',
]) {
  const message = await runSql.invoke({
    type: 'tool_call',
    id: `call_${sql.length}`,
    name: 'run_sql',
    args: { sql },
  });
  console.log(`${sql}\n  -> ${message.content}\n`);
}
