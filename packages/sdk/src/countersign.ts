/**
 * The Countersign client: submit an action, wait for the decision, run it only if approved.
 * @module
 */
import { CountersignError } from './errors.js';
import { guardAction, type Approval, type GuardOptions, type RunReport } from './guard.js';
import { DEFAULT_RETRY, type RetryInfo, type RetryOptions } from './retry.js';
import { Transport } from './transport.js';
import { waitForDecision, type WaitOptions } from './wait-for-decision.js';
import type { ActionRecord, ActionSpec } from './wire-types.js';

export interface CountersignOptions {
  /** The gateway's base URL, e.g. `http://localhost:8080`. */
  url: string;
  /** An agent token (`csa_…`). */
  token: string;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
  /** Backoff when the gateway does not answer. */
  retry?: RetryOptions;
  /** Length of one long-poll in seconds, 1 to 60. Default 30. */
  pollSeconds?: number;
  /** Told before every retry: log it to see an outage from the agent's side. */
  onRetry?: (info: RetryInfo) => void;
  /** Default `countersign-sdk/0.1.0`. */
  userAgent?: string;
}

export interface RequestOptions {
  /**
   * Makes a resubmission return the same request instead of a new one. The SDK generates a
   * fresh key per call when none is given, so its own retries are always safe.
   */
  idempotencyKey?: string;
  /** Stop trying when aborted. */
  signal?: AbortSignal;
}

/**
 * A client for one agent identity.
 *
 * @example
 * import { Countersign } from '@countersign/sdk';
 *
 * const cs = new Countersign({ url: 'http://localhost:8080', token: process.env.COUNTERSIGN_TOKEN! });
 * const rows = await cs.guard(
 *   { action: 'db.export', resource: 'postgres://prod/customers', environment: 'production',
 *     params: { rows: 50_000 }, justification: 'churn analysis for Q3' },
 *   async ({ grant }) => exportRows(50_000, grant),
 * );
 */
export class Countersign {
  readonly url: string;
  private readonly transport: Transport;
  private readonly pollSeconds: number;

  constructor(options: CountersignOptions) {
    if (!options.url) throw new CountersignError('invalid_options', 'no gateway url');
    if (!options.token) throw new CountersignError('invalid_options', 'no agent token');
    this.url = options.url.replace(/\/+$/, '');
    this.pollSeconds = Math.min(60, Math.max(1, options.pollSeconds ?? 30));
    this.transport = new Transport({
      url: this.url,
      token: options.token,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      retry: { ...DEFAULT_RETRY, ...options.retry },
      userAgent: options.userAgent ?? 'countersign-sdk/0.1.0',
      onRetry: options.onRetry,
    });
  }

  /**
   * Submits an action and returns the record at once: `approved` or `denied` when the policy
   * decided, `pending` when humans must. Retries an unreachable gateway with the same
   * idempotency key (never two requests), then throws `GatewayUnavailable`.
   *
   * @example
   * const record = await cs.request({ action: 'k8s.rollout.restart',
   *   resource: 'k8s://prod/payments/deploy/api', environment: 'production' });
   * if (record.status === 'pending') console.log(record.reason); // needs approval: prod-restart (1 of sre-oncall)
   */
  async request(spec: ActionSpec, options: RequestOptions = {}): Promise<ActionRecord> {
    const body = { ...spec, idempotency_key: options.idempotencyKey ?? newIdempotencyKey() };
    return this.transport.callWithRetry<ActionRecord>('POST', '/v1/actions', {
      body,
      signal: options.signal,
    });
  }

  /**
   * Waits until the request is no longer pending and returns the final record (or the pending
   * one once `timeoutMs` passes). Survives network errors and gateway restarts: it keeps
   * polling the same request id with backoff, up to `retry.maxOutageMs` without an answer.
   *
   * @example
   * const record = await cs.wait(id, { onProgress: (r) => console.log(r.progress) });
   * console.log(record.status, record.message);
   */
  async wait(id: string, options: WaitOptions = {}): Promise<ActionRecord> {
    return waitForDecision(this.transport, id, this.pollSeconds, options, (reason) =>
      this.cancel(id, { reason }),
    );
  }

  /**
   * Asks for approval, waits, and runs `fn` only if approved; reports `completed` (or
   * `failed`, with the error message, if `fn` throws) and returns `fn`'s value. Refusals throw
   * `ActionDenied`, `ActionExpired` or `ActionCancelled`, whose `message` is the record's plain
   * text for a model. An unreachable gateway throws `GatewayUnavailable` and `fn` never runs.
   * Aborting `signal` (or `timeoutMs` passing) cancels the request unless `cancelOnAbort: false`.
   *
   * @example
   * try {
   *   await cs.guard({ action: 'iam.role.grant', resource: 'iam://prod/roles/billing-admin',
   *     params: { user: 'sam' }, justification: 'on-call handover' }, ({ grant }) => grantRole('sam', grant));
   * } catch (e) {
   *   if (e instanceof ActionDenied) console.log(e.message); // "… was denied: denied by bob: …"
   *   else throw e;
   * }
   */
  async guard<T>(
    spec: ActionSpec,
    fn: (approval: Approval) => T | Promise<T>,
    options: GuardOptions<T> = {},
  ): Promise<T> {
    return guardAction(this, spec, fn, options);
  }

  /**
   * Reads the record as it is now.
   *
   * @example
   * const { status, votes } = await cs.get(id);
   */
  async get(id: string): Promise<ActionRecord> {
    return this.transport.callWithRetry<ActionRecord>(
      'GET',
      `/v1/actions/${encodeURIComponent(id)}`,
    );
  }

  /**
   * Cancels a pending request; reviewers no longer see it.
   *
   * @example
   * await cs.cancel(id, { reason: 'the ticket was closed' });
   */
  async cancel(id: string, options: { reason?: string } = {}): Promise<ActionRecord> {
    return this.transport.callWithRetry<ActionRecord>(
      'POST',
      `/v1/actions/${encodeURIComponent(id)}/cancel`,
      { body: options.reason === undefined ? {} : { reason: options.reason.slice(0, 2000) } },
    );
  }

  /**
   * Reports what happened to an approved action (evidence for the audit log).
   *
   * @example
   * await cs.reportResult(id, { outcome: 'failed', detail: { exit_code: 3 } });
   */
  async reportResult(id: string, report: RunReport): Promise<ActionRecord> {
    return this.transport.callWithRetry<ActionRecord>(
      'POST',
      `/v1/actions/${encodeURIComponent(id)}/result`,
      { body: report },
    );
  }
}

/** A key unique to one logical submission: retries of that submission reuse it. */
function newIdempotencyKey(): string {
  return `sdk-${crypto.randomUUID()}`;
}
