#!/usr/bin/env node
// OpenAI Agents SDK: a restart tool that needs Countersign's approval before each call.
//
//   COUNTERSIGN_URL=http://localhost:8080 COUNTERSIGN_TOKEN=csa_… node examples/openai-agents.mjs [production]
//
// The model is scripted (a tiny `Model` that asks for one restart, then repeats what the tool
// said), so no OpenAI key is needed. With the demo policy a staging restart is allowed at once;
// pass `production` and the agent waits for someone in sre-oncall (`countersign actions approve`).
// For a real model, drop `model:` from the Agent and set OPENAI_API_KEY.
import { Agent, Runner, Usage, tool } from '@openai/agents';
import { z } from 'zod';
import { Countersign } from '@countersign/sdk';
import { withApproval } from '@countersign/sdk/openai-agents';

const environment = process.argv[2] ?? 'staging';
const client = new Countersign({
  url: process.env.COUNTERSIGN_URL ?? 'http://localhost:8080',
  token: process.env.COUNTERSIGN_TOKEN ?? '',
  retry: { attempts: 2 },
});

const restart = withApproval(
  tool({
    name: 'restart_deployment',
    description: 'Restart a Kubernetes deployment',
    parameters: z.object({ deployment: z.string(), environment: z.string() }),
    execute: async ({ deployment, environment }) => `restarted ${deployment} in ${environment}`,
  }),
  {
    client,
    action: 'k8s.rollout.restart',
    resource: ({ deployment, environment }) => `k8s://${environment}/${deployment}`,
    environment: ({ environment }) => environment,
    justification: 'latency alert OPS-4411',
  },
);

let step = 0;
const scriptedModel = {
  async getResponse(request) {
    if (step++ === 0) {
      return {
        usage: new Usage(),
        output: [
          {
            type: 'function_call',
            id: 'fc_1',
            callId: 'call_1',
            name: 'restart_deployment',
            arguments: JSON.stringify({ deployment: 'payments/deploy/api', environment }),
            status: 'completed',
          },
        ],
      };
    }
    const result = request.input.find((item) => item.type === 'function_call_result');
    return {
      usage: new Usage(),
      output: [
        {
          type: 'message',
          id: 'msg_1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: `Tool said: ${result?.output?.text}` }],
        },
      ],
    };
  },
  getStreamedResponse() {
    throw new Error('this example does not stream');
  },
};

const agent = new Agent({
  name: 'ops',
  instructions: 'Restart deployments when latency alerts fire.',
  tools: [restart],
  model: scriptedModel,
});
const result = await new Runner({ tracingDisabled: true }).run(agent, 'Restart the payments API.');
console.log(result.finalOutput);
