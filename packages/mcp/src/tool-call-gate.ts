/**
 * One `tools/call` in, one verdict out: forward it, or refuse it with text the model can read.
 * This is where the proxy fails closed: anything but an approval it could redeem is a refusal.
 * @module
 */
import type { ActionSpec, JsonObject, JsonValue, Status } from '@countersign/core';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { GatewayClient } from './gateway-client.js';
import type { GatewayRecord } from './gateway-record.js';
import { IdempotencyKeys } from './idempotency-key.js';
import { ParkedRequests } from './parked-requests.js';
import { describeError, isMcpProxyError } from './mcp-proxy-error.js';
import { toolAction, toolContext } from './tool-action.js';
import { riskFromHints, type ToolHints } from './tool-hints.js';
import type { TraceContext } from './trace-context.js';
import { waitForDecision } from './wait-for-decision.js';

export interface ToolCall {
  /** The server segment of the action (already a slug). */
  server: string;
  tool: string;
  arguments: JsonObject;
  hints: ToolHints;
  requestId: RequestId;
  signal: AbortSignal;
  /** Called while a human decision is awaited, with a line for the MCP client's progress. */
  onWaiting: (message: string) => void;
  /**
   * Do not wait for a human: answer `pending` at once. For clients that get the decision later
   * through a task or a retry with `requestState` (MCP 2026-07-28).
   */
  detach?: boolean;
  /** The W3C trace context of the MCP request, passed on to the gateway. */
  trace?: TraceContext | undefined;
}

export type Verdict =
  | { kind: 'forward'; actionId: string }
  | {
      kind: 'refuse';
      text: string;
      actionId: string | null;
      status: Status | null;
      /** The gateway could not be reached: asking again later may give another answer. */
      unreachable?: true;
    }
  /** The client cancelled while waiting: it wants no answer (MCP spec, Cancellation). */
  | { kind: 'cancelled' }
  /** A detached call whose request still awaits a human. */
  | { kind: 'pending'; record: GatewayRecord };

export interface ToolCallGateOptions {
  client: GatewayClient;
  environment: string;
  onBehalfOf?: string | undefined;
  keys?: IdempotencyKeys;
  pollSeconds?: number;
  heartbeatMs?: number;
  /** Delays between submit attempts while the gateway is unreachable. */
  retryDelaysMs?: readonly number[];
  log?: (line: string) => void;
}

export class ToolCallGate {
  private readonly keys: IdempotencyKeys;
  private readonly retryDelaysMs: readonly number[];
  private readonly log: (line: string) => void;
  private readonly parked = new ParkedRequests();

  constructor(private readonly options: ToolCallGateOptions) {
    this.keys = options.keys ?? new IdempotencyKeys();
    this.retryDelaysMs = options.retryDelaysMs ?? [200, 600];
    this.log = options.log ?? (() => undefined);
  }

  async decide(call: ToolCall): Promise<Verdict> {
    const client = this.options.client.withTrace(call.trace);
    const spec = toolAction(call.server, call.tool, call.arguments, this.options.environment);
    let record: GatewayRecord;
    try {
      record = await this.obtain(call, spec, client);
    } catch (e) {
      return this.refuse(spec.action, call.tool, e, null);
    }
    return this.conclude(call, spec, record, client);
  }

  /**
   * A request filed earlier for this call (a task, a `requestState`), looked at again: the one
   * decision path as `decide`, without a new submit. The caller has checked, by signature, that
   * `actionId` was filed for exactly this call.
   */
  async resume(call: ToolCall, actionId: string): Promise<Verdict> {
    const client = this.options.client.withTrace(call.trace);
    const spec = toolAction(call.server, call.tool, call.arguments, this.options.environment);
    let record: GatewayRecord;
    try {
      record = await this.retrying(() => client.get(actionId));
    } catch (e) {
      return this.refuse(spec.action, call.tool, e, actionId);
    }
    return this.conclude(call, spec, record, client);
  }

  /** From a request record to a verdict: wait if pending (unless detached), redeem if approved. */
  private async conclude(
    call: ToolCall,
    spec: ActionSpec,
    record: GatewayRecord,
    client: GatewayClient,
  ): Promise<Verdict> {
    let parkedOnAbort = false;
    if (record.status === 'pending') {
      if (call.detach) return { kind: 'pending', record };
      this.log(`${spec.action}: waiting for approval (${record.id})`);
      // Park the moment the client gives up, not when the wait has unwound: a retry of the same
      // call can arrive right behind the cancellation and must find the request.
      const pendingId = record.id;
      const park = () => {
        parkedOnAbort = true;
        this.parked.park(spec, pendingId);
      };
      call.signal.addEventListener('abort', park, { once: true });
      try {
        record = await waitForDecision({
          client,
          record,
          signal: call.signal,
          onWaiting: (r) => call.onWaiting(waitingLine(spec.action, r)),
          ...(this.options.pollSeconds === undefined
            ? {}
            : { pollSeconds: this.options.pollSeconds }),
          ...(this.options.heartbeatMs === undefined
            ? {}
            : { heartbeatMs: this.options.heartbeatMs }),
        });
      } catch (e) {
        if (isMcpProxyError(e) && e.code === 'cancelled') {
          this.log(`${spec.action}: the client gave up waiting; ${record.id} stays pending`);
          if (!parkedOnAbort) this.parked.park(spec, record.id);
          return { kind: 'cancelled' };
        }
        return this.refuse(spec.action, call.tool, e, record.id);
      } finally {
        call.signal.removeEventListener('abort', park);
      }
    }
    if (record.status !== 'approved') {
      this.log(`${spec.action}: ${record.status} (${record.id})`);
      // completed/failed: this key already ran once; running it again would reuse an approval.
      const text =
        record.status === 'completed' || record.status === 'failed'
          ? `The request ${record.id} for ${spec.action} already ran; ${call.tool} was not called again.`
          : record.message;
      return { kind: 'refuse', text, actionId: record.id, status: record.status };
    }
    if (call.signal.aborted) {
      // Approved just as the client gave up: keep the approval for a retry of this call (unless
      // it was parked at the abort, and a retry may have taken it already).
      if (!parkedOnAbort) this.parked.park(spec, record.id);
      return { kind: 'cancelled' };
    }
    const grant = record.grant;
    if (grant === null) {
      const text = `Countersign approved ${record.id} but returned no grant, so ${call.tool} was not called.`;
      return { kind: 'refuse', text, actionId: record.id, status: record.status };
    }
    try {
      // The proxy is the enforcement point: using the grant up here makes the approval
      // single-use (PRODUCT.md, non-negotiable 3) and records the redemption as evidence.
      await this.retrying(() => client.redeem(grant.token, spec));
    } catch (e) {
      return this.refuse(spec.action, call.tool, e, record.id);
    }
    this.log(`${spec.action}: approved (${record.id}), forwarding`);
    return { kind: 'forward', actionId: record.id };
  }

  /**
   * The request for this call: the parked one for the same action if it is still pending, was
   * approved, or was denied (the model should hear the reviewers' answer, not file the same
   * request again); otherwise a new submit, retried with one idempotency key while unreachable.
   */
  private async obtain(
    call: ToolCall,
    spec: ActionSpec,
    client: GatewayClient,
  ): Promise<GatewayRecord> {
    const parked = this.parked.take(spec);
    if (parked !== undefined) {
      try {
        const record = await client.get(parked);
        if (['pending', 'approved', 'denied'].includes(record.status)) return record;
      } catch (e) {
        this.log(`could not resume ${parked}: ${describeError(e)}`);
      }
    }
    const risk = riskFromHints(call.hints);
    const key = this.keys.next(call.requestId);
    return this.retrying(() =>
      client.submit({
        ...spec,
        ...(risk === undefined ? {} : { risk }),
        context: toolContext(call.server, call.tool, call.hints),
        idempotency_key: key,
        ...(this.options.onBehalfOf === undefined ? {} : { on_behalf_of: this.options.onBehalfOf }),
      }),
    );
  }

  /** The session is over: requests still parked will never be run, so they are withdrawn. */
  async close(): Promise<void> {
    await Promise.all(
      this.parked.drain().map((id) => this.cancel(id, 'the MCP session ended while it waited')),
    );
  }

  /** Reports an approved call's outcome; best effort, a few tries, never throws. */
  async report(
    actionId: string,
    outcome: 'completed' | 'failed',
    detail: JsonValue,
    trace?: TraceContext,
  ): Promise<void> {
    const client = this.options.client.withTrace(trace);
    try {
      await this.retrying(() => client.reportResult(actionId, outcome, detail));
    } catch (e) {
      this.log(`could not report ${outcome} for ${actionId}: ${describeError(e)}`);
    }
  }

  /** Withdraws a pending request nobody is waiting for any more; best effort. */
  async cancel(actionId: string, reason: string): Promise<void> {
    try {
      await this.options.client.cancel(actionId, reason);
      this.log(`cancelled ${actionId}: ${reason}`);
    } catch (e) {
      this.log(`could not cancel ${actionId}: ${describeError(e)}`);
    }
  }

  /** Retries while the gateway is unreachable; the idempotency key makes that safe. */
  private async retrying<T>(f: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await f();
      } catch (e) {
        const delay = this.retryDelaysMs[attempt];
        if (!isMcpProxyError(e) || e.code !== 'gateway_unreachable' || delay === undefined) throw e;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private refuse(action: string, tool: string, e: unknown, actionId: string | null): Verdict {
    this.log(`${action}: refused, ${describeError(e)}`);
    const text = refusalText(action, tool, e);
    const unreachable = isMcpProxyError(e) && e.code === 'gateway_unreachable';
    return {
      kind: 'refuse',
      text,
      actionId,
      status: null,
      ...(unreachable ? { unreachable } : {}),
    };
  }
}

/** What the model reads when the gateway itself could not give a yes. */
function refusalText(action: string, tool: string, e: unknown): string {
  const notRun = `${tool} was not called.`;
  if (!isMcpProxyError(e))
    return `Countersign failed while checking ${action} (${describeError(e)}); ${notRun}`;
  switch (e.code) {
    case 'gateway_unreachable':
      return `Countersign could not be reached (${e.message}), so there is no approval for ${action}: ${notRun}`;
    case 'gateway_refused':
      return `Countersign refused the request for ${action}: ${e.message}. ${notRun}`;
    default:
      return `Countersign could not decide on ${action}: ${e.message}. ${notRun}`;
  }
}

function waitingLine(action: string, r: GatewayRecord): string {
  const until = r.expires_at === null ? '' : `, expires ${r.expires_at}`;
  return `Waiting for approval of ${action} (${r.id}): ${r.reason}${until}`;
}
