import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    {
      directory: DEMO_DIRECTORY,
      policy: policyFile,
      data_dir: dataDir,
      server: { port: 8080, log_level: 'warn' },
    },
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
  // One-time web sign-in links (docs/web.md): no IdP in the demo, so each person gets a link.
  const links: string[] = [];
  for (const id of config.directory.users.keys()) {
    const { token } = await gateway.web.links.create(id);
    links.push(`  ${id.padEnd(8)} ${base}/login/one-time?token=${token}`);
  }
  const agent = tokens.get('support-copilot');
  const alice = tokens.get('alice');
  process.stdout.write(`
Countersign demo gateway on ${base}
  store:  ${config.dataDir}/countersign.db (SQLite)
  policy: ${config.policyFile} (edit it: the gateway reloads it)
  api:    ${base}/openapi.json

Web inbox: ${base}/   sign in with a one-time link (each works once, within 30 minutes;
restart the demo for new ones):
${links.join('\n')}

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
  startDemoAgent(url, tokens.get('support-copilot'), tokens.get('deploy-bot'));
}

/**
 * Starts examples/demo-agent.mjs beside the demo gateway, so approvers see a live inbox: one
 * request every 20 s, at most 30 waiting. Off with COUNTERSIGN_DEMO_AGENT=off, and absent when
 * the CLI runs outside this repository (the examples are not part of the package).
 */
function startDemoAgent(url: string, token: string | undefined, deployToken: string | undefined) {
  const script = fileURLToPath(new URL('../../../../../examples/demo-agent.mjs', import.meta.url));
  if (process.env.COUNTERSIGN_DEMO_AGENT === 'off' || !token || !existsSync(script)) return;
  process.stdout.write(
    `\nDemo agent: ${script} asks for an action every ${process.env.COUNTERSIGN_DEMO_AGENT_INTERVAL ?? 20} s (COUNTERSIGN_DEMO_AGENT=off to stop it).\n`,
  );
  const child = spawn(process.execPath, [script], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      COUNTERSIGN_URL: url,
      COUNTERSIGN_TOKEN: token,
      ...(deployToken ? { COUNTERSIGN_DEPLOY_TOKEN: deployToken } : {}),
    },
  });
  child.on('error', () => undefined); // the demo gateway runs on without its agent
  process.once('exit', () => child.kill('SIGTERM'));
}
