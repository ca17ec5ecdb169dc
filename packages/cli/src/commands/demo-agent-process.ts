import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** How long the agent may take to withdraw its pending requests before it is killed. */
const AGENT_STOP_MS = 3_000;

export interface DemoAgentProcess {
  pid: number | undefined;
  /** Asks the agent to stop (it withdraws its waiting requests) and resolves once it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts examples/demo-agent.mjs beside the demo gateway, so approvers see a live inbox: one
 * request every 20 s, at most 30 waiting. Off with COUNTERSIGN_DEMO_AGENT=off, and absent when
 * the CLI runs outside this repository (the examples are not part of the package).
 *
 * The agent's stdin is a pipe it watches: when the gateway's process ends in any way, even
 * SIGKILL, the pipe closes and the agent stops (no orphan asking a dead gateway forever).
 */
export function startDemoAgent(
  url: string,
  token: string | undefined,
  deployToken: string | undefined,
): DemoAgentProcess | undefined {
  const script = fileURLToPath(new URL('../../../../../examples/demo-agent.mjs', import.meta.url));
  if (process.env.COUNTERSIGN_DEMO_AGENT === 'off' || !token || !existsSync(script))
    return undefined;
  const child = spawn(process.execPath, [script], {
    stdio: ['pipe', 'inherit', 'inherit'],
    env: {
      ...process.env,
      COUNTERSIGN_URL: url,
      COUNTERSIGN_TOKEN: token,
      COUNTERSIGN_DEMO_AGENT_LIFELINE: 'stdin',
      ...(deployToken ? { COUNTERSIGN_DEPLOY_TOKEN: deployToken } : {}),
    },
  });
  child.on('error', () => undefined); // the demo gateway runs on without its agent
  child.stdin?.on('error', () => undefined); // the agent may be gone first
  const gone = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // A last resort if the gateway exits without stop() (its forced exit after the grace period).
  process.once('exit', () => child.kill('SIGTERM'));
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), AGENT_STOP_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}
