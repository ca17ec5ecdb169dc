import { createGateway, loadConfig, type Gateway, type GatewayConfig } from '@countersign/server';
import { demoConfig, printDemoWelcome } from './demo.js';

export interface ServeOptions {
  config: string;
  demo?: boolean;
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
  const gateway = await createGateway(config);
  const url = await gateway.listen();
  gateway.policy.watch();
  process.on('SIGHUP', () => gateway.policy.reload());
  if (options.demo) await printDemoWelcome(gateway, config, url);
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
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return gateway;
}
