import { sql } from 'kysely';
import { ActionEvents } from './actions/action-events.js';
import { ActionService } from './actions/action-service.js';
import { TokenService } from './auth/token-service.js';
import type { GatewayConfig } from './config/load-config.js';
import { buildApp, type App } from './http/app.js';
import { Metrics } from './metrics/metrics.js';
import { PolicyStore } from './policy/policy-store.js';
import { Scheduler } from './scheduler/scheduler.js';
import { ActionRepository } from './storage/action-repository.js';
import { openDatabase, type Storage } from './storage/open-database.js';
import { TokenRepository } from './storage/token-repository.js';

export interface Gateway {
  app: App;
  storage: Storage;
  policy: PolicyStore;
  actions: ActionService;
  tokens: TokenService;
  scheduler: Scheduler;
  /** Listens on the configured host and port; resolves with the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  now?: () => number;
  /** Re-read interval for waiters (cross-replica changes). */
  pollMs?: number;
}

/**
 * Wires the gateway: store → repositories → services → HTTP. The policy is loaded before
 * anything listens: a gateway with an invalid policy does not start.
 */
export async function createGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const policy = PolicyStore.open(config.policyFile, config.directory);
  const storage = await openDatabase({
    url: config.storage.url,
    dataDir: config.dataDir,
    synchronous: config.storage.synchronous,
  });
  const now = options.now ?? Date.now;
  const actionRepo = new ActionRepository(storage.db);
  const events = new ActionEvents();
  const metrics = new Metrics(async () => (await actionRepo.countByStatus()).get('pending') ?? 0);
  events.subscribeAll((r) => {
    if (r.status !== 'pending' && r.decided_at !== r.created_at)
      metrics.transitions.inc({ status: r.status });
  });
  const actions = new ActionService({
    actions: actionRepo,
    policy,
    directory: config.directory,
    events,
    now,
    pollMs: options.pollMs,
    onDecision: (r) => metrics.decisions.inc({ decision: r.decision }),
  });
  const tokens = new TokenService(new TokenRepository(storage.db), config.directory, now);
  const app = await buildApp({
    actions,
    tokens,
    policy,
    directory: config.directory,
    metrics,
    ready: async () => {
      await sql`select 1`.execute(storage.db);
    },
    bodyLimit: config.server.bodyLimit,
    maxWaitSeconds: config.server.maxWaitSeconds,
    logLevel: config.server.logLevel,
    publicUrl: config.server.publicUrl,
  });
  policy.onReload((r) => {
    if (r.ok) app.log.info({ version: r.version, changed: r.changed }, 'policy reloaded');
    else
      app.log.error(
        { error: r.error, version: r.version },
        'policy reload refused; keeping the last good policy',
      );
  });
  const scheduler = new Scheduler(config.schedulerTickMs, [() => actions.expireDue()], (e) =>
    app.log.error({ err: e }, 'scheduled job failed'),
  );

  return {
    app,
    storage,
    policy,
    actions,
    tokens,
    scheduler,
    async listen() {
      const url = await app.listen({ host: config.server.host, port: config.server.port });
      scheduler.start();
      return url;
    },
    async close() {
      await scheduler.stop();
      policy.close();
      await app.close();
      await storage.close();
    },
  };
}
