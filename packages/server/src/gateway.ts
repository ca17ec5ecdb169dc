import type { ActionRecord } from '@countersign/core';
import type { AuditEvent, AuditLog } from './audit/audit-log.js';
import { openAuditLog } from './audit/open-audit-log.js';
import { refusalRecorder } from './audit/refusal-recorder.js';
import { ActionEvents } from './actions/action-events.js';
import { ActionService } from './actions/action-service.js';
import { ActionWatcher } from './actions/action-watcher.js';
import { ActionTimers } from './actions/action-timers.js';
import { VoteService } from './actions/vote-service.js';
import type { GrantService } from './grants/grant-service.js';
import { openGrantService } from './grants/open-grant-service.js';
import { NotificationDispatcher } from './notify/notification-dispatcher.js';
import { openChannels } from './channels/open-channels.js';
import { TokenService } from './auth/token-service.js';
import type { GatewayConfig } from './config/load-config.js';
import { buildApp, type App } from './http/app.js';
import { Metrics } from './metrics/metrics.js';
import { decidingChannel } from './metrics/deciding-channel.js';
import { PolicyStore } from './policy/policy-store.js';
import { Scheduler } from './scheduler/scheduler.js';
import { databaseClock } from './storage/database-clock.js';
import { ActionRepository } from './storage/action-repository.js';
import { openDatabase, type Storage } from './storage/open-database.js';
import { silentChangeFeed, type ChangeFeed } from './storage/change-feed.js';
import { PgChangeFeed } from './storage/pg-change-feed.js';
import { ReplicaSettingsRepository } from './storage/replica-settings-repository.js';
import { checkReplicaSettings, replicaSettings } from './config/replica-settings.js';
import { TokenRepository } from './storage/token-repository.js';
import { createWebAuth, type WebAuth } from './web/web-auth.js';
import { defaultWebAssetsDir } from './web/web-assets.js';

/** How long /readyz waits for the store before answering 503. */
export const READY_TIMEOUT_MS = 1_000;

export interface Gateway {
  app: App;
  storage: Storage;
  policy: PolicyStore;
  actions: ActionService;
  votes: VoteService;
  timers: ActionTimers;
  tokens: TokenService;
  /** Grant signing keys, issue, verify and redeem. */
  grants: GrantService;
  audit: AuditLog;
  scheduler: Scheduler;
  /** The outbox: enqueue (called by the action writer), delivery (a scheduler job). */
  notifications: NotificationDispatcher;
  /** The web inbox's sign-in: sessions, one-time login links (the demo prints them), SSO. */
  web: WebAuth;
  /** Listens on the configured host and port; resolves with the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  now?: () => number;
  /** Safety poll of the change watcher (default 15 s; LISTEN/NOTIFY is the fast path). */
  pollMs?: number;
  /** The built web inbox (packages/web/dist); default: found through the @countersign/web package. */
  webAssetsDir?: string;
  /** Where log lines go (default stdout, JSON lines): `serve --demo` formats them for a person. */
  logStream?: { write(line: string): void };
  /**
   * Record this replica's public_url and keys as the store's, where they differ from what the
   * first replica recorded (`serve --accept-config-change`); otherwise such a replica refuses
   * to start (config/replica-settings.ts).
   */
  acceptConfigChange?: boolean;
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
  const actionRepo = new ActionRepository(storage.db, storage.dialect);
  // The audit log (audit/): every change appends its evidence in its own transaction.
  const audit = await openAuditLog(storage, {
    origin: config.audit.origin,
    redact: () => policy.current.redact,
    now,
  }).catch(async (e: unknown) => {
    await storage.close();
    throw e;
  });
  // Replicas on one PostgreSQL store must share public_url and keys: checked before this one
  // writes. An SQLite store has one gateway: its port (and default public_url) may change.
  const settingsRepo = new ReplicaSettingsRepository(storage.db);
  const acceptedChanges =
    storage.dialect !== 'postgres'
      ? []
      : await replicaSettings(settingsRepo, {
          publicUrl: config.server.publicUrl,
          grantSigningKey: config.grants.signingKey,
          auditVerifierKey: audit.verifierKey,
        })
          .then((mine) =>
            checkReplicaSettings(settingsRepo, mine, { accept: options.acceptConfigChange }),
          )
          .catch(async (e: unknown) => {
            await storage.close();
            throw e;
          });
  /** Evidence that belongs to no request change: group-committed like every other write. */
  const record = (entries: AuditEvent[]) =>
    actionRepo.write(async (tx) => audit.appendAtCommit(tx, entries));
  await record([policyLoaded(policy, 'start')]);
  const events = new ActionEvents();
  // Changes committed by other replicas (actions/action-watcher.ts): one listening connection
  // and one watcher per process, feeding `events`.
  const pgFeed =
    storage.dialect === 'postgres' && config.storage.url
      ? new PgChangeFeed(config.storage.url, {
          onError: (e) => app.log.warn({ err: e }, 'change feed connection lost; reconnecting'),
        })
      : undefined;
  pgFeed?.ignoreOrigin(events.origin);
  const feed: ChangeFeed = pgFeed ?? silentChangeFeed;
  const watcher = new ActionWatcher({
    feed,
    events,
    findByIds: (ids) => actionRepo.findByIds(ids),
    pollMs: options.pollMs,
    onError: (e) => app.log.warn({ err: e }, 'change watcher could not read changes'),
  });
  const metrics = new Metrics({
    pendingCount: async () => (await actionRepo.countByStatus()).get('pending') ?? 0,
    auditSize: () => audit.indexedSize(),
    latestCheckpointAt: async () => (await audit.latestCheckpoint())?.created_at,
    waiters: () => events.waiterCount,
    now,
  });
  /** A decision has committed: how long it took, what decided it, and its grant. */
  const observeDecision = (r: ActionRecord) => {
    if (r.grant) metrics.grantsIssued.inc();
    if (r.decided_at === null) return;
    const seconds = Math.max(0, (r.decided_at - r.created_at) / 1000);
    // Only a later decision can have come from a vote: one read of its votes, off the hot path.
    const votes = r.decided_at === r.created_at ? Promise.resolve([]) : actionRepo.votes(r.id);
    void votes.then(
      (v) =>
        metrics.timeToDecision.observe(
          { outcome: r.status, channel: decidingChannel(r, v) },
          seconds,
        ),
      () => undefined,
    );
  };
  events.subscribeAll((r) => {
    if (r.status !== 'pending' && r.decided_at !== r.created_at)
      metrics.transitions.inc({ status: r.status });
  });
  // Grants (grants/): signed when a request is approved, stored in the same transaction.
  const grants = await openGrantService(storage.db, {
    issuer: config.server.publicUrl,
    ttlMs: config.grants.ttlMs,
    signingKey: config.grants.signingKey,
    now,
    recordRedemption: (trx, claims, at, by) =>
      audit.append(trx, [
        {
          type: 'grant.redeemed',
          actor: by ?? { kind: 'anonymous', id: 'grant-holder' },
          request_id: claims.request_id,
          data: { jti: claims.jti, redeemed_at: new Date(at).toISOString(), digest: claims.digest },
        },
      ]),
    // A redemption changes the record: wake its subscribers (SSE, the web inbox).
    onRedeemed: (claims) => {
      metrics.grantsRedeemed.inc();
      void actionRepo.findById(claims.request_id).then(
        (r) => r && events.publish(r),
        () => undefined,
      );
      void feed.announce(events.origin, [claims.request_id]).catch(() => undefined);
    },
  }).catch(async (e: unknown) => {
    await storage.close();
    throw e;
  });
  // Channels (channels/registry.ts): their notifiers join the outbox, whose rows are written in
  // the transaction of each change; their inbound halves are connected once votes exist.
  const channels = openChannels(config.channels, {
    directory: config.directory,
    db: storage.db,
    publicUrl: config.server.publicUrl,
    log: { error: (msg) => app.log.error(msg), warn: (msg) => app.log.warn(msg) },
    metrics: metrics.registry,
    now,
  });
  const notifications = new NotificationDispatcher(storage.db, channels.notifiers, {
    callbackPolicy: channels.callbackPolicy,
    now,
    onError: (e) => app.log.error({ err: e }, 'notification delivery failed to record its outcome'),
    onSettled: (o) => {
      if (o.status !== 'released') metrics.deliveries.inc({ notifier: o.target, status: o.status });
      if (o.status !== 'released') {
        void record([
          {
            type: 'action.notified',
            actor: { kind: 'system', id: 'notifier' },
            ...(o.action_id ? { request_id: o.action_id } : {}),
            data: {
              delivery: o.id,
              target: o.target,
              event: o.event,
              status: o.status,
              attempt: o.attempt,
              error: o.error,
            },
          },
        ]).catch((e: unknown) => app.log.error({ err: e }, 'could not record a delivery'));
      }
      if (o.status === 'failed') app.log.warn(o, 'notification delivery failed for good');
      else if (o.status === 'retrying') app.log.debug(o, 'notification delivery will be retried');
    },
  });
  const actions = new ActionService({
    actions: actionRepo,
    policy,
    directory: config.directory,
    events,
    grants,
    notifications,
    audit,
    now,
    onDecision: (r) => metrics.decisions.inc({ decision: r.decision }),
    onDecided: observeDecision,
  });
  const votes = new VoteService(actions.writer, config.directory);
  const channelRuntime = channels.connect(
    { votes, actions, find: (id) => actionRepo.findById(id), record },
    (channel, e) => app.log.error({ err: e, channel }, `${channel} channel failed`),
  );
  // Deadlines against the database's clock on PostgreSQL (one clock for all replicas), unless
  // the clock is injected (tests drive time); on SQLite the gateway is the only clock.
  const timers = new ActionTimers(
    actions.writer,
    storage.dialect === 'postgres' && !options.now
      ? databaseClock(storage.db)
      : () => Promise.resolve(now()),
  );
  const tokens = new TokenService(new TokenRepository(storage.db), config.directory, now, audit);
  const web = createWebAuth({
    storage,
    directory: config.directory,
    settings: config.web,
    publicUrl: config.server.publicUrl,
    audit,
    now,
  });
  const app = await buildApp({
    audit,
    record,
    recordRefusal: refusalRecorder(record, (e) =>
      app.log.error({ err: e }, 'could not record a refusal'),
    ),
    actions,
    votes,
    tokens,
    policy,
    directory: config.directory,
    metrics,
    // Bounded well under a load balancer's probe timeout: a stuck store answers 503 within
    // READY_TIMEOUT_MS rather than leaving the probe hanging; on PostgreSQL on its own
    // connection, not the pool's (storage/readiness-probe.ts).
    ready: () => storage.ready(READY_TIMEOUT_MS),
    bodyLimit: config.server.bodyLimit,
    maxWaitSeconds: config.server.maxWaitSeconds,
    logLevel: config.server.logLevel,
    logStream: options.logStream,
    publicUrl: config.server.publicUrl,
    grants,
    channelRoutes: channelRuntime.routes,
    events,
    web: { auth: web, assetsDir: options.webAssetsDir ?? defaultWebAssetsDir() },
  });
  for (const change of acceptedChanges) {
    app.log.warn({ change }, 'configuration change accepted (--accept-config-change)');
  }
  if (acceptedChanges.length > 0) {
    // A deliberate change of what every replica must share (issuer, keys) is evidence too.
    await record([
      {
        type: 'config.changed',
        actor: { kind: 'system', id: 'gateway-start' },
        data: { accepted_with: '--accept-config-change', changes: acceptedChanges },
      },
    ]);
  }
  policy.onReload((r) => {
    if (r.ok && r.changed) void record([policyLoaded(policy, 'reload')]).catch(() => undefined);
    if (!r.ok) {
      void record([
        {
          type: 'policy.reload_refused',
          actor: { kind: 'system', id: 'policy-watcher' },
          data: { file: policy.file, kept_version: r.version, error: r.error },
        },
      ]).catch(() => undefined);
    }
    if (r.ok) app.log.info({ version: r.version, changed: r.changed }, 'policy reloaded');
    else
      app.log.error(
        { error: r.error, version: r.version },
        'policy reload refused; keeping the last good policy',
      );
  });
  // PostgreSQL: this replica's share of sequencing the audit log (audit/audit-sequencer.ts);
  // it also indexes what an earlier run or a CLI command left queued.
  audit.startSequencer({
    onError: (e) => app.log.warn({ err: e }, 'audit sequencing failed; retrying'),
  });
  // Listening before the first waiter can arrive; a failure retries in the background.
  await pgFeed?.start();
  const scheduler = new Scheduler(
    config.schedulerTickMs,
    {
      timers: [() => timers.expireDue(), () => timers.escalateDue()],
      delivery: [() => notifications.deliverDue()],
      housekeeping: [
        () => audit.checkpoint(config.audit.checkpointIntervalMs),
        () => web.sessions.purge(),
      ],
    },
    (e) => app.log.error({ err: e }, 'scheduled job failed'),
  );

  return {
    app,
    storage,
    policy,
    actions,
    votes,
    timers,
    tokens,
    grants,
    scheduler,
    notifications,
    audit,
    web,
    async listen() {
      const url = await app.listen({ host: config.server.host, port: config.server.port });
      scheduler.start();
      channelRuntime.start();
      return url;
    },
    async close() {
      await scheduler.stop();
      await channelRuntime.stop();
      // In-flight deliveries are aborted and their rows handed back before the store closes.
      await notifications.close();
      policy.close();
      await app.close();
      // After the app: no request can be waiting for a grant's signature any more.
      await grants.close();
      watcher.close();
      await feed.close();
      await audit.stopSequencer();
      await storage.close();
    },
  };
}

/** A `policy.loaded` entry: which policy is in force, from which file, since when. */
function policyLoaded(policy: PolicyStore, trigger: 'start' | 'reload'): AuditEvent {
  return {
    type: 'policy.loaded',
    actor: { kind: 'system', id: trigger === 'start' ? 'gateway-start' : 'policy-watcher' },
    data: {
      version: policy.current.version,
      file: policy.file,
      rules: policy.current.rules.map((r) => r.id),
      // Kept so reports redact what this policy redacted, even after it changes.
      redact: [...policy.current.redact],
      trigger,
    },
  };
}
