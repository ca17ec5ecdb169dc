import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

  constructor(pendingCount: () => Promise<number>) {
    new Gauge({
      name: 'countersign_pending_requests',
      help: 'Requests waiting for a human decision',
      registers: [this.registry],
      async collect() {
        this.set(await pendingCount());
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'countersign_' });
  }
}
