/**
 * `guard()`: ask, wait, run only if approved, report what happened. The order is the point:
 * nothing runs before an approval is in hand, and every run leaves its outcome as evidence.
 * @module
 */
import {
  ActionCancelled,
  ActionDenied,
  ActionExpired,
  ApiError,
  CountersignError,
} from './errors.js';
import type { RequestOptions } from './countersign.js';
import type { WaitOptions } from './wait-for-decision.js';
import type { ActionRecord, ActionSpec, JsonValue } from './wire-types.js';

/** What the guarded function is given once the action is approved. */
export interface Approval {
  /** The signed grant (compact JWS) for exactly this action: hand it to the target system. */
  grant: string;
  /** The approved record: who approved, under which rules. */
  record: ActionRecord;
  /** The caller's signal, if any. */
  signal: AbortSignal | undefined;
}

/** How a run is reported to the gateway (`POST /v1/actions/:id/result`). */
export interface RunReport {
  outcome: 'completed' | 'failed';
  detail?: JsonValue;
}

export interface GuardOptions<T> extends RequestOptions, Omit<WaitOptions, 'cancelOnAbort'> {
  /**
   * Cancel the request on the gateway when `signal` aborts or `timeoutMs` passes, so it leaves
   * the reviewers' inboxes. Default `true`.
   */
  cancelOnAbort?: boolean;
  /** What to report for a value `fn` returned. Default `{outcome: 'completed'}`. */
  report?: (value: T) => RunReport;
  /**
   * Called when the result could not be reported (the action did run; its value is still
   * returned). Default: a `console.warn`.
   */
  onReportError?: (error: unknown) => void;
}

/** The client surface `guard` needs (the `Countersign` class). */
export interface GuardClient {
  request(spec: ActionSpec, options?: RequestOptions): Promise<ActionRecord>;
  wait(id: string, options?: WaitOptions): Promise<ActionRecord>;
  get(id: string): Promise<ActionRecord>;
  cancel(id: string, options?: { reason?: string }): Promise<ActionRecord>;
  reportResult(id: string, report: RunReport): Promise<ActionRecord>;
}

/** The flow behind `Countersign.guard()`. */
export async function guardAction<T>(
  client: GuardClient,
  spec: ActionSpec,
  fn: (approval: Approval) => T | Promise<T>,
  options: GuardOptions<T> = {},
): Promise<T> {
  const { signal, timeoutMs, onProgress } = options;
  const cancelOnAbort = options.cancelOnAbort ?? true;
  let record = await client.request(spec, options);
  if (record.status === 'pending') {
    record = await client.wait(record.id, {
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(signal ? { signal } : {}),
      ...(onProgress ? { onProgress } : {}),
      cancelOnAbort,
    });
  }
  if (record.status === 'pending') {
    // timeoutMs passed with nobody deciding.
    record = cancelOnAbort
      ? await cancelOrRead(client, record.id, `no decision within ${timeoutMs} ms`)
      : record;
    if (record.status === 'pending') throw new ActionCancelled(record);
  }
  assertApproved(record);
  const grant = record.grant?.token;
  if (!grant) {
    throw new CountersignError(
      'grant_missing',
      `request ${record.id} is approved but carries no grant; refusing to run it`,
    );
  }
  let value: T;
  try {
    value = await fn({ grant, record, signal });
  } catch (e) {
    await report(
      client,
      record.id,
      { outcome: 'failed', detail: { error: errorText(e) } },
      options,
    );
    throw e;
  }
  await report(client, record.id, options.report?.(value) ?? { outcome: 'completed' }, options);
  return value;
}

/**
 * Throws the typed refusal for a final record that is not `approved`: `ActionDenied`,
 * `ActionExpired`, `ActionCancelled`, or `action_already_run` for one that already ran.
 *
 * @example
 * const record = await cs.wait(id);
 * assertApproved(record); // throws ActionDenied with the reviewer's comment in .message
 */
export function assertApproved(record: ActionRecord): void {
  switch (record.status) {
    case 'approved':
      return;
    case 'denied':
      throw new ActionDenied(record);
    case 'expired':
      throw new ActionExpired(record);
    case 'cancelled':
      throw new ActionCancelled(record);
    case 'pending':
      throw new CountersignError(
        'invalid_options',
        `request ${record.id} is still pending: wait for it first`,
      );
    case 'completed':
    case 'failed':
      throw new CountersignError(
        'action_already_run',
        `request ${record.id} already ran (${record.status}); use a new idempotency key to ask again`,
      );
  }
}

/** Cancels; when a decision won the race (`already_decided`), reads what it was instead. */
async function cancelOrRead(client: GuardClient, id: string, reason: string) {
  try {
    return await client.cancel(id, { reason });
  } catch (e) {
    if (e instanceof ApiError && (e.code === 'already_decided' || e.code === 'request_expired')) {
      return client.get(id);
    }
    throw e;
  }
}

async function report<T>(
  client: GuardClient,
  id: string,
  outcome: RunReport,
  options: GuardOptions<T>,
): Promise<void> {
  try {
    await client.reportResult(id, outcome);
  } catch (e) {
    // The action ran: losing its report must not turn success into an exception.
    if (options.onReportError) options.onReportError(e);
    else console.warn(`countersign: could not report the result of ${id}: ${errorText(e)}`);
  }
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 2000);
}
