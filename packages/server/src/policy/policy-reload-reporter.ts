import type { FastifyBaseLogger } from 'fastify';
import { policyLoaded, policyReloadRefused } from '../audit/audit-events.js';
import type { RecordEvidence } from '../audit/evidence-recorder.js';
import type { Metrics } from '../metrics/metrics.js';
import type { PolicyStore } from './policy-store.js';
import type { ShadowReloadResult } from './shadow-policy.js';

/** The `policy.loaded` entry of the policy in force now. */
export function policyInForce(policy: PolicyStore, trigger: 'start' | 'reload') {
  return policyLoaded(policy.current, policy.file, trigger);
}

/**
 * Every reload of the policy file is evidence: a changed policy (`policy.loaded`) or a refused
 * edit (`policy.reload_refused`, the last good policy stays in force), and a log line.
 */
export function reportPolicyReloads(
  policy: PolicyStore,
  record: RecordEvidence,
  log: () => FastifyBaseLogger,
): void {
  policy.onReload((r) => {
    if (r.ok && r.changed) void record([policyInForce(policy, 'reload')]).catch(() => undefined);
    if (!r.ok) {
      void record([policyReloadRefused(policy.file, r.version, r.error)]).catch(() => undefined);
    }
    if (r.ok) log().info({ version: r.version, changed: r.changed }, 'policy reloaded');
    else
      log().error(
        { error: r.error, version: r.version },
        'policy reload refused; keeping the last good policy',
      );
  });
}

/**
 * A shadow policy's load (at start, and with each reload): a refused one is logged and counted
 * (`countersign_policy_shadow_errors_total{stage="load"}`); the previous shadow, or none, stays,
 * and the live policy is untouched.
 */
export function reportShadowLoad(
  policy: PolicyStore,
  r: ShadowReloadResult,
  deps: { metrics: Metrics; log: () => FastifyBaseLogger },
): void {
  const file = policy.shadow?.file;
  if (r.ok) {
    if (r.changed) deps.log().info({ version: r.version, file }, 'shadow policy loaded');
    return;
  }
  deps.metrics.shadowErrors.inc({ stage: 'load' });
  deps
    .log()
    .error(
      { error: r.error, file, version: r.version },
      r.version === null
        ? 'shadow policy refused; no shadow policy is evaluated (the live policy is unaffected)'
        : 'shadow policy refused; keeping the previous shadow (the live policy is unaffected)',
    );
}
