import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveConfig, type Gateway, type GatewayConfig } from '@countersign/server';
import { STARTER_POLICY } from '../templates/starter-policy.js';
import { DEMO_DIRECTORY } from '../templates/demo-directory.js';

/**
 * The embedded demo: SQLite and an editable policy under ./.countersign, the demo directory,
 * port 8080 (or COUNTERSIGN_PORT / PORT).
 */
export function demoConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const dataDir = resolve(env.COUNTERSIGN_DATA_DIR ?? '.countersign');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const policyFile = join(dataDir, 'demo-policy.yaml');
  if (!existsSync(policyFile)) writeFileSync(policyFile, STARTER_POLICY);
  return resolveConfig(
    { directory: DEMO_DIRECTORY, policy: policyFile, data_dir: dataDir, server: { port: 8080 } },
    process.cwd(),
    env,
  );
}

/** Fresh tokens for every demo principal (older demo tokens are revoked) and a walkthrough. */
export async function printDemoWelcome(gateway: Gateway, config: GatewayConfig, url: string) {
  const lines: string[] = [];
  const tokens = new Map<string, string>();
  for (const [kind, ids] of [
    ['agent', [...config.directory.agents.keys()]],
    ['user', [...config.directory.users.keys()]],
  ] as const) {
    for (const id of ids) {
      await gateway.tokens.revokeAll(kind, id);
      const { token } = await gateway.tokens.create(kind, id, { label: 'demo' });
      tokens.set(id, token);
      const user = config.directory.user(id);
      const what =
        kind === 'agent'
          ? `owners: ${config.directory.agent(id)?.owners.join(', ')}`
          : user?.admin
            ? 'admin'
            : user?.groups.join(', ');
      lines.push(`  ${kind.padEnd(5)} ${id.padEnd(16)} ${token}   (${what})`);
    }
  }
  const base = url.replace('127.0.0.1', 'localhost');
  const agent = tokens.get('support-copilot');
  const alice = tokens.get('alice');
  process.stdout.write(`
Countersign demo gateway on ${base}
  store:  ${config.dataDir}/countersign.db (SQLite)
  policy: ${config.policyFile} (edit it: the gateway reloads it)
  api:    ${base}/openapi.json

Tokens (new at every demo start; shown once):
${lines.join('\n')}

Try it: an agent asks to export 50,000 production rows, which needs two data owners.
  export AGENT=${agent}
  curl -s -X POST ${base}/v1/actions -H "authorization: Bearer $AGENT" -H 'content-type: application/json' \\
    -d '{"action":"db.export","resource":"postgres://prod/customers","environment":"production","params":{"rows":50000},"justification":"churn analysis for Q3"}'

  # the agent waits for a decision (long-poll):
  curl -s "${base}/v1/actions/<id>/wait?timeout=30" -H "authorization: Bearer $AGENT"
  # a reviewer's inbox:
  curl -s "${base}/v1/actions?status=pending" -H "authorization: Bearer ${alice}"
`);
}
