import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { TokenRepository, loadConfig, type Gateway, type GatewayConfig } from '@countersign/server';
import { STARTER_POLICY } from '../templates/starter-policy.js';
import { DEMO_POLICY_FILE, demoConfigYaml } from '../templates/demo-config.js';
import { startDemoAgent, type DemoAgentProcess } from './demo-agent-process.js';

/** Who mints the demo's tokens and links, in the audit log. */
const DEMO_ACTOR = { kind: 'system', id: 'demo' } as const;
/** The label of every token the demo mints: `--reset` revokes exactly these. */
const DEMO_LABEL = 'demo';

/**
 * The embedded demo: a real `countersign.yaml` (SQLite, the demo directory, an editable policy)
 * under ./.countersign (or COUNTERSIGN_DATA_DIR), written once and then loaded like any other
 * config, so the store commands can be pointed at it. Port 8080 (or COUNTERSIGN_PORT / PORT).
 */
export function demoConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const dataDir = resolve(env.COUNTERSIGN_DATA_DIR ?? '.countersign');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const policyFile = join(dataDir, DEMO_POLICY_FILE);
  if (!existsSync(policyFile)) writeFileSync(policyFile, STARTER_POLICY);
  const configFile = join(dataDir, 'countersign.yaml');
  if (!existsSync(configFile)) writeFileSync(configFile, demoConfigYaml(), { mode: 0o600 });
  // data_dir in the file is relative to the file; an env override must not be re-resolved there.
  return loadConfig(configFile, { ...env, COUNTERSIGN_DATA_DIR: dataDir });
}

export interface Demo {
  agent: DemoAgentProcess | undefined;
  stop(): Promise<void>;
}

/**
 * Mints a token for every demo principal and a sign-in link for every user, prints the
 * walkthrough, and starts the demo agent. Tokens minted by earlier starts stay valid (someone
 * may have exported one); `reset` revokes them first.
 */
export async function startDemo(
  gateway: Gateway,
  config: GatewayConfig,
  url: string,
  options: { reset?: boolean } = {},
): Promise<Demo> {
  const revoked = options.reset ? await revokeDemoTokens(gateway) : 0;
  const lines: string[] = [];
  const tokens = new Map<string, string>();
  for (const [kind, ids] of [
    ['agent', [...config.directory.agents.keys()]],
    ['user', [...config.directory.users.keys()]],
  ] as const) {
    for (const id of ids) {
      const { token } = await gateway.tokens.create(kind, id, {
        label: DEMO_LABEL,
        actor: DEMO_ACTOR,
      });
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
    const { token } = await gateway.web.links.create(id, undefined, DEMO_ACTOR);
    links.push(`  ${id.padEnd(8)} ${base}/login/one-time?token=${token}`);
  }
  const agent = tokens.get('support-copilot');
  const alice = tokens.get('alice');
  const configFile = config.file ? relative(process.cwd(), config.file) : '';
  const flag =
    configFile === join('.countersign', 'countersign.yaml') ? '' : ` --config ${configFile}`;
  process.stdout.write(`
Countersign demo gateway on ${base}
  config: ${configFile} (the CLI's store commands use it)
  store:  ${relative(process.cwd(), config.dataDir) || '.'}/countersign.db (SQLite)
  policy: ${relative(process.cwd(), config.policyFile)} (edit it: the gateway reloads it)
  api:    ${base}/openapi.json

Web inbox: ${base}/   sign in with a one-time link (each works once, within 30 minutes;
more with: npx countersign login-link --user ID${flag}):
${links.join('\n')}

Tokens (new at every demo start, shown once; earlier demo tokens stay valid${
    revoked > 0 ? `; --reset revoked ${revoked}` : ' unless you start with --reset'
  }):
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
  const demoAgent = startDemoAgent(url, agent, tokens.get('deploy-bot'));
  if (demoAgent) {
    process.stdout.write(
      `\nDemo agent (pid ${demoAgent.pid}): asks for an action every ${process.env.COUNTERSIGN_DEMO_AGENT_INTERVAL ?? 20} s (COUNTERSIGN_DEMO_AGENT=off to stop it).\n`,
    );
  }
  return { agent: demoAgent, stop: async () => demoAgent?.stop() };
}

/** Revokes the still-active tokens earlier demo starts minted (label "demo"), no others. */
async function revokeDemoTokens(gateway: Gateway): Promise<number> {
  const rows = await new TokenRepository(gateway.storage.db, gateway.audit).list();
  let n = 0;
  for (const row of rows) {
    if (row.label !== DEMO_LABEL || row.revoked_at !== null) continue;
    n += await gateway.tokens.revoke(row.id, DEMO_ACTOR);
  }
  return n;
}
