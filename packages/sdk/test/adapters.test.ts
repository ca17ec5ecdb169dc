import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateText, stepCountIs, tool as aiTool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import {
  Agent,
  Runner,
  Usage,
  tool as agentsTool,
  type AgentInputItem,
  type Model,
  type ModelResponse,
} from '@openai/agents';
import { tool as lcTool } from '@langchain/core/tools';
import { ToolMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { Countersign } from '../src/index.js';
import { withApproval as withAiApproval } from '../src/adapters/ai.js';
import { withApproval as withAgentsApproval } from '../src/adapters/openai-agents.js';
import { withApproval as withLangChainApproval } from '../src/adapters/langchain.js';
import { deadUrl, eventually, startGateway, type TestGateway } from './gateway.js';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** An AI SDK model that calls the given tools in its first step, then stops. */
function aiScriptedModel(calls: Array<{ id: string; tool: string; input: unknown }>) {
  let step = 0;
  return new MockLanguageModelV3({
    doGenerate: async () =>
      step++ === 0
        ? {
            content: calls.map((c) => ({
              type: 'tool-call' as const,
              toolCallId: c.id,
              toolName: c.tool,
              input: JSON.stringify(c.input),
            })),
            finishReason: { unified: 'tool-calls' as const, raw: undefined },
            usage,
            warnings: [],
          }
        : {
            content: [{ type: 'text' as const, text: 'done' }],
            finishReason: { unified: 'stop' as const, raw: undefined },
            usage,
            warnings: [],
          },
  });
}

/** An Agents SDK model that calls one tool, then answers with what the tool returned. */
function agentsScriptedModel(name: string, args: unknown): Model {
  let step = 0;
  return {
    async getResponse(request): Promise<ModelResponse> {
      if (step++ === 0) {
        return {
          usage: new Usage(),
          output: [
            {
              type: 'function_call',
              id: 'fc_1',
              callId: 'call_1',
              name,
              arguments: JSON.stringify(args),
              status: 'completed',
            },
          ],
        };
      }
      const items = request.input as AgentInputItem[];
      const result = items.find((i) => i.type === 'function_call_result');
      const output = result && 'output' in result ? result.output : undefined;
      const text =
        typeof output === 'object' && output !== null && 'text' in output
          ? String(output.text)
          : JSON.stringify(output);
      return {
        usage: new Usage(),
        output: [
          {
            type: 'message',
            id: 'msg_1',
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text }],
          },
        ],
      };
    },
    // eslint-disable-next-line require-yield -- never streamed in these tests
    async *getStreamedResponse() {
      throw new Error('not used');
    },
  };
}

describe('tool adapters: approval before every call, refusals as text', () => {
  let gw: TestGateway;
  let client: Countersign;
  before(async () => {
    gw = await startGateway();
    client = new Countersign({ url: gw.url, token: await gw.agentToken() });
  });
  after(() => gw.close());

  test('Vercel AI SDK: allowed calls run; a denied call is output text and never runs', async () => {
    const ran: string[] = [];
    const exportRows = withAiApproval(
      aiTool({
        description: 'Export customer rows',
        inputSchema: z.object({ rows: z.number() }),
        execute: async ({ rows }) => {
          ran.push(`export ${rows}`);
          return `exported ${rows}`;
        },
      }),
      { client, action: 'db.export', resource: 'postgres://prod/customers' },
    );
    const dropTable = withAiApproval(
      aiTool({
        description: 'Drop a table',
        inputSchema: z.object({ table: z.string() }),
        execute: async ({ table }) => {
          ran.push(`drop ${table}`);
          return 'dropped';
        },
      }),
      {
        client,
        action: 'db.ddl.drop',
        resource: (input: { table: string }) => `postgres://prod/${input.table}`,
      },
    );
    const result = await generateText({
      model: aiScriptedModel([
        { id: 'c1', tool: 'exportRows', input: { rows: 5 } },
        { id: 'c2', tool: 'dropTable', input: { table: 'customers' } },
      ]),
      tools: { exportRows, dropTable },
      prompt: 'clean up',
      stopWhen: stepCountIs(3),
    });
    const outputs = new Map(
      result.steps[0].content.flatMap((p) =>
        p.type === 'tool-result' ? [[p.toolCallId, p.output] as const] : [],
      ),
    );
    assert.equal(outputs.get('c1'), 'exported 5');
    assert.match(
      String(outputs.get('c2')),
      /db\.ddl\.drop on postgres:\/\/prod\/customers .*was denied: .*no DDL from agents/,
    );
    assert.deepEqual(ran, ['export 5']);
    assert.equal(result.text, 'done');
  });

  test('OpenAI Agents SDK: a reviewer denial with a comment is what the model reads', async () => {
    let ran = false;
    const exportRows = withAgentsApproval(
      agentsTool({
        name: 'export_rows',
        description: 'Export customer rows',
        parameters: z.object({ rows: z.number() }),
        execute: async ({ rows }) => {
          ran = true;
          return `exported ${rows}`;
        },
      }),
      {
        client,
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        justification: 'the model asked',
      },
    );
    const agent = new Agent({
      name: 'exporter',
      instructions: 'export when asked',
      tools: [exportRows],
      model: agentsScriptedModel('export_rows', { rows: 50_000 }),
    });
    const reviewer = (async () => {
      const [id] = await eventually(async () => {
        const ids = await gw.pendingIds();
        return ids.length > 0 ? ids : undefined;
      });
      await gw.vote(id, 'alice', 'deny', 'not without a DPA');
    })();
    const result = await new Runner({ tracingDisabled: true }).run(agent, 'export everything');
    await reviewer;
    assert.equal(ran, false);
    assert.match(String(result.finalOutput), /was denied: denied by alice/);
    assert.match(String(result.finalOutput), /not without a DPA/);
  });

  test('OpenAI Agents SDK: an allowed call runs the tool', async () => {
    const exportRows = withAgentsApproval(
      agentsTool({
        name: 'export_rows',
        description: 'Export customer rows',
        parameters: z.object({ rows: z.number() }),
        execute: async ({ rows }) => `exported ${rows}`,
      }),
      { client, action: 'db.export', resource: 'postgres://prod/customers' },
    );
    const agent = new Agent({
      name: 'exporter',
      instructions: 'export when asked',
      tools: [exportRows],
      model: agentsScriptedModel('export_rows', { rows: 12 }),
    });
    const result = await new Runner({ tracingDisabled: true }).run(agent, 'export 12 rows');
    assert.equal(result.finalOutput, 'exported 12');
  });

  test('LangChain: approve after a wait runs the tool; a tool call gets a ToolMessage', async () => {
    const calls: unknown[] = [];
    const exportRows = withLangChainApproval(
      lcTool(
        async ({ rows }: { rows: number }) => {
          calls.push(rows);
          return `exported ${rows}`;
        },
        {
          name: 'export_rows',
          description: 'Export customer rows',
          schema: z.object({ rows: z.number() }),
        },
      ),
      { client, action: 'db.export', resource: 'postgres://prod/customers' },
    );
    assert.equal(exportRows.name, 'export_rows');
    const reviewer = (async () => {
      const [id] = await eventually(async () => {
        const ids = await gw.pendingIds();
        return ids.length > 0 ? ids : undefined;
      });
      await gw.vote(id, 'alice', 'approve');
      return id;
    })();
    const message: unknown = await exportRows.invoke({
      type: 'tool_call',
      id: 'tc_1',
      name: 'export_rows',
      args: { rows: 20_000 },
    });
    assert.ok(message instanceof ToolMessage);
    assert.equal(message.content, 'exported 20000');
    assert.equal(message.tool_call_id, 'tc_1');
    assert.deepEqual(calls, [20_000]);
    assert.equal((await gw.read(await reviewer)).status, 'completed');
  });

  test('a gateway that is down: every adapter refuses with text and runs nothing', async () => {
    const down = new Countersign({
      url: await deadUrl(),
      token: 'csa_x',
      retry: { attempts: 2, baseDelayMs: 5 },
    });
    let ran = 0;
    const options = { client: down, action: 'db.export', resource: 'postgres://prod/customers' };
    const ai = withAiApproval(
      aiTool({
        inputSchema: z.object({ rows: z.number() }),
        execute: async () => String(++ran),
      }),
      options,
    );
    const agents = withAgentsApproval(
      agentsTool({
        name: 'export_rows',
        description: 'x',
        parameters: z.object({ rows: z.number() }),
        execute: async () => String(++ran),
      }),
      options,
    );
    const lc = withLangChainApproval(
      lcTool(async () => String(++ran), {
        name: 'export_rows',
        description: 'x',
        schema: z.object({ rows: z.number() }),
      }),
      options,
    );
    const texts = [
      await ai.execute!({ rows: 1 }, { toolCallId: 'a', messages: [] }),
      await agents.invoke(undefined as never, JSON.stringify({ rows: 1 })),
      await lc.invoke({ rows: 1 }),
    ];
    assert.equal(ran, 0);
    for (const text of texts) assert.match(String(text), /could not be reached.*fail closed/);
  });
});
