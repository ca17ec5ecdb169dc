import { createGateway, loadConfig, type Gateway, type GatewayConfig } from '@countersign/server';
import { humanLogStream } from '../human-log-stream.js';
import { demoConfig, startDemo, type Demo } from './demo.js';

export interface ServeOptions {
  config: string;
  demo?: boolean;
  /** With `demo`: revoke the tokens earlier demo starts minted. */
  reset?: boolean;
  /** Record this replica's public_url and keys as the store's (docs/operations.md). */
  acceptConfigChange?: boolean;
}

/**
 * How long a graceful stop may take before the process exits anyway. Orchestrators send
 * SIGKILL after their own grace period (Kubernetes: 30 s by default); a stuck store must not
 * keep a replica that no longer serves alive until then. With SQLite's busy wait (2 s, which
 * blocks the event loop) on either side, the process is gone within 10 s of SIGTERM.
 */
export const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Runs the gateway until SIGINT/SIGTERM. SIGHUP and edits to the policy file reload the
 * policy; a broken policy is refused and the last good one stays in force. Resolves with the
 * running gateway once it listens.
 */
export async function serve(options: ServeOptions): Promise<Gateway> {
  const config: GatewayConfig = options.demo ? demoConfig() : loadConfig(options.config);
  // The demo's terminal is read by a person: log lines in words, on stderr (human-log-stream.ts).
  const gateway = await createGateway(config, {
    ...(options.demo ? { logStream: humanLogStream(process.stderr) } : {}),
    acceptConfigChange: options.acceptConfigChange === true,
  });
  const url = await gateway.listen();
  gateway.policy.watch();
  process.on('SIGHUP', () => gateway.policy.reload());
  const demo: Demo | undefined = options.demo
    ? await startDemo(gateway, config, url, { reset: options.reset })
    : undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.app.log.info({ signal }, 'shutting down');
    // A graceful close waits for in-flight requests and the store; if either is stuck, give
    // up after the grace period. Not unref'd: this timer is what ends the process then.
    setTimeout(() => {
      gateway.app.log.error(
        { grace_ms: SHUTDOWN_GRACE_MS },
        'graceful shutdown did not finish in time; exiting',
      );
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    // The demo agent goes first, while the gateway still answers its withdrawals.
    (demo ? demo.stop() : Promise.resolve())
      .then(() => gateway.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return gateway;
}
