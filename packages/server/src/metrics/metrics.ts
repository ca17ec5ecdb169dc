import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the gauges read at scrape time. */
export interface MetricSources {
  pendingCount: () => Promise<number>;
  /** Entries in the audit log's Merkle tree. */
  auditSize?: () => Promise<number>;
  /** Seconds the oldest audit evidence has waited for its index (PostgreSQL's sequencer). */
  auditSequencingLag?: () => Promise<number>;
  /** When the newest signed checkpoint was made (epoch ms), if any. */
  latestCheckpointAt?: () => Promise<number | undefined>;
  /** Long-polls and event streams open on this replica. */
  waiters?: () => number;
  now?: () => number;
}

/** Prometheus metrics, in a registry of our own (several gateways may share a process in tests). */
export class Metrics {
  readonly registry = new Registry();
  readonly decisions = new Counter({
    name: 'countersign_decisions_total',
    help: 'Policy decisions on submitted requests, by outcome',
    labelNames: ['decision'] as const,
    registers: [this.registry],
  });
  readonly transitions = new Counter({
    name: 'countersign_request_transitions_total',
    help: 'Request state changes after submission, by new status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'countersign_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'countersign_refusals_total',
    help: 'Requests refused with a problem response, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  /**
   * Outbox deliveries by notifier (`slack`, `teams`, a webhook endpoint's name) and outcome
   * (`delivered`, `retrying`, `failed`): a chat message Slack or Teams refused for good shows
   * here as well as in the audit log and the log, never silently.
   */
  readonly deliveries = new Counter({
    name: 'countersign_notification_deliveries_total',
    help: 'Notification deliveries settled, by notifier and outcome',
    labelNames: ['notifier', 'status'] as const,
    registers: [this.registry],
  });

  /**
   * From a request's creation to its decision, by final status and by what decided it: the
   * channel of the deciding vote (`api`, `cli`, `web`, `slack`, `teams`), `policy` (decided at
   * submission), `timer` (expired, or decided at a deadline) or `agent` (cancelled). Buckets
   * span a policy decision (milliseconds) to a request that waited a day for a human.
   */
  readonly timeToDecision = new Histogram({
    name: 'countersign_time_to_decision_seconds',
    help: 'Seconds from request creation to its decision, by outcome and deciding channel',
    labelNames: ['outcome', 'channel'] as const,
    buckets: [0.01, 0.1, 1, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400],
    registers: [this.registry],
  });
  /**
   * From the moment a reviewer could see a request (its first delivered notification, else
   * its creation) to their counted vote, by channel and vote (`approve`, `deny`): the
   * rubber-stamp indicator of docs/fatigue.md. No reviewer or rule label: both are unbounded
   * sets, so per-person figures are at GET /v1/insights, not here.
   */
  readonly voteSeconds = new Histogram({
    name: 'countersign_vote_seconds',
    help: 'Seconds from notification (else request creation) to a counted vote, by channel and vote',
    labelNames: ['channel', 'outcome'] as const,
    buckets: [1, 2, 5, 10, 30, 60, 300, 900, 1800, 3600, 14400, 86400],
    registers: [this.registry],
  });
  readonly fastApprovals = new Counter({
    name: 'countersign_fast_approvals_total',
    help: 'Approvals cast within the fast-approval threshold of notification, by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });
  /**
   * Requests the shadow policy decided otherwise than the live one, by replay's change kind
   * (docs/policy.md "Shadow policies"); each is also a `policy.shadow_disagreed` audit entry.
   */
  readonly shadowDisagreements = new Counter({
    name: 'countersign_policy_shadow_disagreements_total',
    help: 'Submitted requests the shadow policy decided otherwise than the live policy, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** The shadow policy failed: `load` (refused, the previous shadow stays) or `evaluate`. */
  readonly shadowErrors = new Counter({
    name: 'countersign_policy_shadow_errors_total',
    help: 'Shadow policy failures (never enforced, never failing a request), by stage',
    labelNames: ['stage'] as const,
    registers: [this.registry],
  });
  readonly grantsIssued = new Counter({
    name: 'countersign_grants_issued_total',
    help: 'Signed grants issued with an approval',
    registers: [this.registry],
  });
  /**
   * Checkpoint submissions to C2SP tlog-witness witnesses (docs/witness.md), by witness and
   * outcome: `cosigned`, `conflict` (409, retried at the witness's size), `refused` (another
   * 4xx: the witness will not cosign, look at the log), `failed` (unreachable, 5xx, or an
   * answer that does not verify). Anything but `cosigned` is also logged.
   */
  readonly witnessSubmissions = new Counter({
    name: 'countersign_witness_submissions_total',
    help: 'add-checkpoint requests to witnesses, by witness and outcome',
    labelNames: ['witness', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly grantsRedeemed = new Counter({
    name: 'countersign_grants_redeemed_total',
    help: 'Grants redeemed (used up) at POST /v1/grants/redeem',
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    const now = sources.now ?? Date.now;
    new Gauge({
      name: 'countersign_pending_requests',
      help: 'Requests waiting for a human decision',
      registers: [this.registry],
      async collect() {
        this.set(await sources.pendingCount());
      },
    });
    const { auditSize, auditSequencingLag, latestCheckpointAt, waiters } = sources;
    if (auditSequencingLag) {
      new Gauge({
        name: 'countersign_audit_sequencing_lag_seconds',
        help: 'Seconds the oldest committed audit evidence has waited for its index (0: none)',
        registers: [this.registry],
        async collect() {
          this.set(await auditSequencingLag());
        },
      });
    }
    if (auditSize) {
      new Gauge({
        name: 'countersign_audit_log_entries',
        help: "Entries in the audit log (the Merkle tree's size)",
        registers: [this.registry],
        async collect() {
          this.set(await auditSize());
        },
      });
    }
    if (latestCheckpointAt) {
      new Gauge({
        name: 'countersign_audit_checkpoint_age_seconds',
        help: 'Seconds since the newest signed checkpoint (NaN before the first)',
        registers: [this.registry],
        async collect() {
          const at = await latestCheckpointAt();
          this.set(at === undefined ? Number.NaN : Math.max(0, (now() - at) / 1000));
        },
      });
    }
    if (waiters) {
      new Gauge({
        name: 'countersign_waiters_open',
        help: 'Long-polls (GET /v1/actions/{id}/wait) and request event streams open here',
        registers: [this.registry],
        collect() {
          this.set(waiters());
        },
      });
    }
    // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes…), unprefixed:
    // dashboards and alerts written for any Node.js exporter find them (Prometheus naming
    // conventions, https://prometheus.io/docs/practices/naming/).
    collectDefaultMetrics({ register: this.registry });
  }
}
