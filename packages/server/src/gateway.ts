import type { AuditLog } from './audit/audit-log.js';
import { evidenceRecorder } from './audit/evidence-recorder.js';
import { openAuditLog } from './audit/open-audit-log.js';
import { refusalRecorder } from './audit/refusal-recorder.js';
import { WitnessSubmitter } from './audit/witness-submitter.js';
import { CosignatureRepository } from './storage/cosignature-repository.js';
import { ActionEvents } from './actions/action-events.js';
import { ActionService } from './actions/action-service.js';
import { ActionWatcher } from './actions/action-watcher.js';
import { ActionTimers } from './actions/action-timers.js';
import { VoteService } from './actions/vote-service.js';
import { StandingApprovals } from './actions/standing-approvals.js';
import { StandingApprovalRepository } from './storage/standing-approval-repository.js';
import { redemptionWake } from './actions/redemption-wake.js';
import type { GrantService } from './grants/grant-service.js';
import { openGrantService } from './grants/open-grant-service.js';
import { NotificationDispatcher } from './notify/notification-dispatcher.js';
import { deliveryOutcomes } from './notify/delivery-outcomes.js';
import { openChannels } from './channels/open-channels.js';
import { TokenService } from './auth/token-service.js';
import type { GatewayConfig } from './config/load-config.js';
import { buildApp, type App } from './http/app.js';
import { Metrics } from './metrics/metrics.js';
import { countTransitions, decisionObserver } from './metrics/decision-metrics.js';
import { voteObserver } from './metrics/vote-metrics.js';
import { InsightsRepository } from './storage/insights-repository.js';
import { readReviewerLoad } from './report/read-reviewer-load.js';
import { DEFAULT_FAST_APPROVAL_MS } from './report/reviewer-load.js';
import { PolicyStore } from './policy/policy-store.js';
import {
  policyInForce,
  reportPolicyReloads,
  reportShadowLoad,
} from './policy/policy-reload-reporter.js';
import { ShadowDisagreements } from './policy/shadow-disagreements.js';
import { Scheduler } from './scheduler/scheduler.js';
import { deadlineClock } from './storage/database-clock.js';
import { ActionRepository } from './storage/action-repository.js';
import { openDatabase, type Storage } from './storage/open-database.js';
import { silentChangeFeed, type ChangeFeed } from './storage/change-feed.js';
import { PgChangeFeed } from './storage/pg-change-feed.js';
import { agreeOnReplicaSettings, recordAcceptedChanges } from './config/replica-settings.js';
import { recordDirectory } from './config/directory-evidence.js';
import { TokenRepository } from './storage/token-repository.js';
import { createWebAuth, type WebAuth } from './web/web-auth.js';
import { defaultWebAssetsDir } from './web/web-assets.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { openGatewayTracing } from './telemetry/gateway-tracing.js';
import { tracingConfigFromEnv } from './telemetry/tracing-from-env.js';

/** How long /readyz waits for the store before answering 503. */
export const READY_TIMEOUT_MS = 1_000;

export interface Gateway {
  app: App;
  storage: Storage;
  policy: PolicyStore;
  actions: ActionService;
  votes: VoteService;
  /** Standing approvals (docs/fatigue.md): created with votes, used at submission. */
  standing: StandingApprovals;
  timers: ActionTimers;
  tokens: TokenService;
  /** Grant signing keys, issue, verify and redeem. */
  grants: GrantService;
  audit: AuditLog;
  /** Asks the configured witnesses to cosign new checkpoints (docs/witness.md). */
  witnesses: WitnessSubmitter;
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
  /**
   * Traces go to this exporter, synchronously, whatever the environment says (tests); otherwise
   * tracing is configured by the OTEL_* environment, and off without it (telemetry/).
   */
  traceExporter?: SpanExporter;
}

/**
 * Wires the gateway: store → repositories → services → HTTP. The policy is loaded before
 * anything listens: a gateway with an invalid policy does not start.
 */
export async function createGateway(
  config: GatewayConfig,
  options: GatewayOptions = {},
): Promise<Gateway> {
  // An OTEL_* environment the gateway cannot honour stops it before anything opens.
  const traceConfig = tracingConfigFromEnv();
  // A shadow policy (docs/policy.md "Shadow policies") is loaded once the app can report a
  // refusal (below): it never stops the gateway, and an error evaluating it fails no request.
  const policy = PolicyStore.open(
    config.policyFile,
    config.directory,
    config.policyShadowFile === undefined
      ? undefined
      : {
          file: config.policyShadowFile,
          onEvaluationError: (e) => {
            metrics.shadowErrors.inc({ stage: 'evaluate' });
            app.log.error({ err: e }, 'shadow policy evaluation failed; the request is unaffected');
          },
        },
  );
  const storage = await openDatabase({
    url: config.storage.url,
    dataDir: config.dataDir,
    synchronous: config.storage.synchronous,
  });
  const now = options.now ?? Date.now;
  /** A start that fails after the store opened closes it again. */
  const abort = async (e: unknown): Promise<never> => {
    await storage.close();
    throw e;
  };
  // The app's logger, for the callbacks wired before the app exists.
  const log = () => app.log;
  // The audit log (audit/): every change appends its evidence in its own transaction.
  const audit = await openAuditLog(storage, {
    origin: config.audit.origin,
    redact: () => policy.current.redact,
    now,
  }).catch(abort);
  const actionRepo = new ActionRepository(storage.db, storage.dialect, audit);
  // Checked before this replica writes (config/replica-settings.ts).
  const acceptedChanges = await agreeOnReplicaSettings(storage, {
    publicUrl: config.server.publicUrl,
    grantSigningKey: config.grants.signingKey,
    auditVerifierKey: audit.verifierKey,
    accept: options.acceptConfigChange,
  }).catch(abort);
  const record = evidenceRecorder(actionRepo);
  await record([policyInForce(policy, 'start')]);
  // Who could approve, own or administer, as evidence: a baseline, then each change.
  await recordDirectory(storage, audit, config.directory).catch(abort);
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
    // The database's clock on PostgreSQL unless one is injected (tests), as for deadlines.
    changedSince: (since, overlapMs) =>
      actionRepo.changedSince(since, overlapMs, storage.dialect === 'postgres' ? options.now : now),
    pollMs: options.pollMs,
    onError: (e) => app.log.warn({ err: e }, 'change watcher could not read changes'),
  });
  const metrics = new Metrics({
    pendingCount: async () => (await actionRepo.countByStatus()).get('pending') ?? 0,
    auditSize: () => audit.indexedSize(),
    auditSequencingLag: () => audit.sequencingLagSeconds(),
    latestCheckpointAt: async () => (await audit.latestCheckpoint())?.created_at,
    waiters: () => events.waiterCount,
    now,
  });
  countTransitions(metrics, events);
  const shadowTally = new ShadowDisagreements(now);
  const wakeOnRedemption = redemptionWake({
    actions: actionRepo,
    events,
    feed,
    onRedeemed: () => metrics.grantsRedeemed.inc(),
  });
  // Grants (grants/): signed when a request is approved, stored in the same transaction.
  const grants = await openGrantService(storage.db, {
    issuer: config.server.publicUrl,
    ttlMs: config.grants.ttlMs,
    signingThread: config.grants.signingThread,
    signingKey: config.grants.signingKey,
    now,
    evidence: audit,
    onRedeemed: (claims, at) => {
      wakeOnRedemption(claims);
      tracing?.tracer.redeemed(claims, at);
    },
  }).catch(abort);
  // Spans of the request lifecycle (telemetry/): undefined, and no cost, when tracing is off.
  const tracing = openGatewayTracing(traceConfig, options.traceExporter, {
    traceParents: (ids) => actionRepo.traceParents(ids),
    now,
    onError: (e) => app.log.warn({ err: e }, 'could not record or export trace spans'),
    warn: (message) => app.log.warn(message),
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
    onSettled: deliveryOutcomes({ metrics, record, log }),
  });
  const actions = new ActionService({
    actions: actionRepo,
    policy,
    directory: config.directory,
    events,
    grants,
    notifications,
    now,
    onDecision: (r) => metrics.decisions.inc({ decision: r.decision }),
    onDecided: decisionObserver(metrics, (id) => actionRepo.votes(id)),
    onShadowDisagreed: (r, d) => {
      metrics.shadowDisagreements.inc({ kind: d.kind });
      shadowTally.add({
        ...d,
        request_id: r.id,
        at: new Date(r.created_at).toISOString(),
        agent: r.agent_id,
        action: r.action,
      });
    },
    tracing: tracing?.tracer,
  });
  const standing = new StandingApprovals({
    repo: new StandingApprovalRepository(storage.db),
    actions: actionRepo,
    writer: actions.writer,
    policy,
    directory: config.directory,
    feed,
    origin: events.origin,
    now,
    refreshMs: options.pollMs,
    onError: (e) => app.log.warn({ err: e }, 'standing approvals could not be refreshed'),
  });
  actions.useStanding(standing);
  const fastApprovalMs = config.insights?.fastApprovalMs ?? DEFAULT_FAST_APPROVAL_MS;
  const insights = new InsightsRepository(storage.db);
  const votes = new VoteService(
    actions.writer,
    config.directory,
    voteObserver(metrics, (id, before) => insights.notifiedAt(id, before), fastApprovalMs),
    standing,
  );
  const channelRuntime = channels.connect(
    { votes, actions, find: (id) => actionRepo.findById(id), record },
    (channel, e) => app.log.error({ err: e, channel }, `${channel} channel failed`),
  );
  // Deadlines on one clock: the database's on PostgreSQL unless one is injected (tests).
  const timers = new ActionTimers(actions.writer, deadlineClock(storage, options.now), () =>
    actionRepo.nextDeadlines(storage.dialect === 'postgres' ? options.now : now),
  );
  const tokens = new TokenService(new TokenRepository(storage.db, audit), config.directory, now);
  const web = createWebAuth({
    storage,
    directory: config.directory,
    settings: config.web,
    publicUrl: config.server.publicUrl,
    audit,
    now,
  });
  // Witnesses (docs/witness.md): cosignatures of each new checkpoint, asked for in the
  // background after it is signed; a witness that fails is counted and logged, never waited on.
  const cosignatures = new CosignatureRepository(storage.db);
  const witnesses = new WitnessSubmitter(config.audit.witnesses ?? [], audit, cosignatures, {
    now,
    onOutcome: (witness, outcome, detail) => {
      metrics.witnessSubmissions.inc({ witness, outcome });
      if (outcome !== 'cosigned')
        app.log.warn({ witness, outcome, detail }, 'witness: no cosignature');
    },
  });
  const app = await buildApp({
    audit,
    cosignedCheckpoint: async (quorum) => {
      const found = await cosignatures.newestCosigned(witnesses.witnessIds, quorum);
      return found && { ...found, witnesses: found.lines.map((l) => l.split(' ')[1]) };
    },
    record,
    recordRefusal: refusalRecorder(record, (e) =>
      app.log.error({ err: e }, 'could not record a refusal'),
    ),
    actions,
    votes,
    standing,
    tokens,
    policy,
    shadowTally,
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
    now,
    insights: (period) => readReviewerLoad(storage.db, period, fastApprovalMs),
  });
  await recordAcceptedChanges(acceptedChanges, record, app.log);
  reportPolicyReloads(policy, record, log);
  if (policy.shadow) {
    const shadowDeps = { metrics, tally: shadowTally, log };
    reportShadowLoad(policy, policy.shadow.reload(), shadowDeps);
    policy.onReload((r) => r.shadow && reportShadowLoad(policy, r.shadow, shadowDeps));
  }
  // PostgreSQL: this replica's share of sequencing the audit log (audit/audit-sequencer.ts);
  // it also indexes what an earlier run or a CLI command left queued.
  audit.startSequencer({
    onError: (e) => app.log.warn({ err: e }, 'audit sequencing failed; retrying'),
  });
  // Listening before the first waiter can arrive; a failure retries in the background.
  await pgFeed?.start();
  // After the policy and directory in force are recorded: revoke what they no longer support.
  await standing.start();
  const scheduler = new Scheduler(
    config.schedulerTickMs,
    {
      timers: [() => timers.runDue()],
      untilDeadline: () => Promise.resolve(timers.untilNext),
      delivery: [() => notifications.deliverDue()],
      housekeeping: [
        () => audit.checkpoint(config.audit.checkpointIntervalMs),
        () => Promise.resolve(witnesses.kick()),
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
    standing,
    timers,
    tokens,
    grants,
    scheduler,
    notifications,
    audit,
    witnesses,
    web,
    async listen() {
      const url = await app.listen({ host: config.server.host, port: config.server.port });
      scheduler.start();
      channelRuntime.start();
      return url;
    },
    async close() {
      await scheduler.stop();
      standing.close();
      await witnesses.close();
      await channelRuntime.stop();
      // In-flight deliveries are aborted and their rows handed back before the store closes.
      await notifications.close();
      policy.close();
      await app.close();
      // After the app: no request can be waiting for a grant's signature any more.
      await grants.close();
      // Before the store closes: late spans look up their request's stored trace context.
      await tracing?.close();
      watcher.close();
      await feed.close();
      await audit.stopSequencer();
      await storage.close();
    },
  };
}
