import { parseNoteSignerKey, verifyLog, type NoteSigner } from '@countersign/core';
import type { GatewayConfig } from '../config/load-config.js';
import { PolicyStore } from '../policy/policy-store.js';
import type { Storage } from '../storage/open-database.js';
import { InsightsRepository } from '../storage/insights-repository.js';
import { ReportRepository } from '../storage/report-repository.js';
import { StandingApprovalRepository } from '../storage/standing-approval-repository.js';
import { buildSoc2Report } from './build-soc2-report.js';
import { logIntegrity, type LogIntegrityInput } from './log-integrity.js';
import type { ReportPeriod } from './report-period.js';
import type { Soc2Report } from './soc2-report.js';

export interface GenerateSoc2Options {
  period: ReportPeriod;
  now?: number | undefined;
  /** An auditor's verifier key (`<origin>+<id>+<key>`), obtained outside the gateway. */
  verifierKey?: string | undefined;
  /**
   * Without `verifierKey`: check the log with the gateway's own key anyway (it proves the log
   * is intact, not that it is the log the auditor knows). Without either, no check is made.
   */
  acceptGatewayKey?: boolean | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Overrides the configured fast-approval threshold (`insights.fast_approval_seconds`). */
  fastApprovalMs?: number | undefined;
}

/**
 * Reads the period's evidence from the store (selects only), the policy and the directory
 * from the configuration, verifies the audit log, and builds the report.
 */
export async function generateSoc2Report(
  storage: Storage,
  config: GatewayConfig,
  options: GenerateSoc2Options,
): Promise<Soc2Report> {
  const now = options.now ?? Date.now();
  // The redact paths come from the policy: a policy that does not load would leave us not
  // knowing what to hide, so we stop here (PolicyLoadError) rather than print plaintext.
  const policy = PolicyStore.open(config.policyFile, config.directory).current;
  const repo = new ReportRepository(storage.db);
  const window = { start: options.period.start, end: options.period.end };
  const insights = new InsightsRepository(storage.db);
  const [
    counts,
    versions,
    requests,
    votes,
    refused,
    stored,
    directoryEntries,
    timedVotes,
    reviewedRequests,
    standing,
  ] = await Promise.all([
    repo.requestCounts(window),
    repo.policyVersionsSeen(window),
    repo.notAutoAllowedIn(window),
    repo.votesOnRequestsCreatedIn(window),
    repo.refusedVotesIn(window),
    repo.auditSize(),
    repo.directoryEntries(options.period.end),
    insights.votesIn(window),
    insights.reviewedRequestsIn(window),
    new StandingApprovalRepository(storage.db).aliveIn(window),
  ]);
  const hasLog = stored > 0;
  const allLoads = hasLog
    ? await repo.auditEntriesOfType('policy.loaded', { start: 0, end: Number.MAX_SAFE_INTEGER })
    : [];
  const earlierRedactPaths = allLoads.flatMap((e) => {
    const r = e.data.redact;
    return Array.isArray(r) ? r.filter((p): p is string => typeof p === 'string') : [];
  });
  return buildSoc2Report({
    period: options.period,
    now,
    store: storage.dialect,
    policy,
    directory: config.directory,
    counts,
    versions,
    requests,
    votes,
    refused,
    policyLoads: hasLog ? allLoads : null,
    earlierRedactPaths,
    directoryEntries,
    timedVotes,
    reviewedRequests,
    fastApprovalMs: options.fastApprovalMs ?? config.insights?.fastApprovalMs,
    standing,
    integrity: logIntegrity(await verifyStoredLog(repo, stored, options)),
  });
}

/** How many older checkpoints are re-checked besides the latest (they also localise damage). */
const HISTORY = 1000;

/**
 * Runs `verifyLog` over the stored entries up to the newest signed checkpoint. The gateway
 * verifies its own store here; an auditor repeats it on an export (docs/soc2.md).
 */
async function verifyStoredLog(
  repo: ReportRepository,
  stored: number,
  options: GenerateSoc2Options,
): Promise<LogIntegrityInput> {
  const [checkpoint, ...older] = await repo.checkpoints(HISTORY + 1);
  const key = options.verifierKey
    ? { key: options.verifierKey, source: 'the --key option' }
    : options.acceptGatewayKey
      ? await gatewayVerifierKey(repo, options.env ?? process.env)
      : null;
  const base = {
    checkpoint,
    stored,
    verifierKey: key?.key ?? null,
    keySource: key?.source ?? 'nowhere',
  };
  if (stored === 0) return { ...base, result: null, unavailable: 'this store has no audit log' };
  if (!checkpoint) {
    return { ...base, result: null, unavailable: 'the log has no signed checkpoint yet' };
  }
  if (!key) {
    return {
      ...base,
      result: null,
      unavailable: options.acceptGatewayKey
        ? 'the gateway has no readable verifier key (pass --key)'
        : 'no verifier key from outside the gateway (pass --key, or --accept-gateway-key)',
    };
  }
  const result = await verifyLog({
    entries: repo.auditEntryTexts(checkpoint.size),
    checkpoint: checkpoint.note,
    verifierKeys: key.key,
    history: older.map((c) => ({ label: `the checkpoint of size ${c.size}`, note: c.note })),
  });
  return { ...base, result };
}

/**
 * The log's note signer, to sign a report with (report-signature.ts): from the environment,
 * else the store, as the gateway reads it (audit-keys.ts); undefined when there is none yet.
 * Read only: a report never creates a key.
 */
export async function storedReportSigner(
  storage: Storage,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NoteSigner | undefined> {
  const signer =
    env.COUNTERSIGN_AUDIT_SIGNING_KEY ??
    (await new ReportRepository(storage.db).storedValue('audit.signing_key'));
  return signer === undefined ? undefined : parseNoteSignerKey(signer);
}

/** The public half of the gateway's checkpoint key: from the environment, else the store. */
async function gatewayVerifierKey(
  repo: ReportRepository,
  env: NodeJS.ProcessEnv,
): Promise<{ key: string; source: string } | null> {
  const fromEnv = env.COUNTERSIGN_AUDIT_SIGNING_KEY;
  const signer = fromEnv ?? (await repo.storedValue('audit.signing_key'));
  if (signer === undefined) return null;
  try {
    return {
      key: parseNoteSignerKey(signer).verifierKey,
      source: fromEnv
        ? "the gateway's signing key (COUNTERSIGN_AUDIT_SIGNING_KEY)"
        : "the gateway's store (not independent of it: pass --key for an independent check)",
    };
  } catch {
    return null;
  }
}
