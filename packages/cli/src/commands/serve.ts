import { createGateway, loadConfig, type GatewayConfig } from '@countersign/server';
import { demoConfig, printDemoWelcome } from './demo.js';

export interface ServeOptions {
  config: string;
  demo?: boolean;
}

/**
 * Runs the gateway until SIGINT/SIGTERM. SIGHUP and edits to the policy file reload the
 * policy; a broken policy is refused and the last good one stays in force.
 */
export async function serve(options: ServeOptions): Promise<void> {
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
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
