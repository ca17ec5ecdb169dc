/**
 * The Countersign API calls the proxy makes, as the agent, over `fetch`. Every failure is an
 * `McpProxyError`: `gateway_unreachable` (worth retrying), `gateway_refused` (a problem
 * response, final) or `gateway_malformed`.
 * @module
 */
import {
  isJsonObject,
  type ActionSpec,
  type JsonObject,
  type JsonValue,
  type Risk,
} from '@countersign/core';
import { McpProxyError } from './mcp-proxy-error.js';
import { readGatewayRecord, type GatewayRecord } from './gateway-record.js';
import type { TraceContext } from './trace-context.js';

export interface GatewayClientOptions {
  /** The gateway's base URL, e.g. `http://localhost:8080`. */
  url: string;
  /** An agent token (`csa_…`). */
  token: string;
  /** Injected by tests to simulate a network that drops. */
  fetch?: typeof fetch;
  /** Limit for each call except the long-poll, which gets its own timeout plus this much. */
  timeoutMs?: number;
  /** Sent on every call: the W3C trace context of the MCP request being decided. */
  headers?: Record<string, string>;
}

/** `POST /v1/actions` as the proxy sends it. */
export interface SubmitBody extends ActionSpec {
  risk?: Risk;
  context: JsonObject;
  idempotency_key: string;
  on_behalf_of?: string;
}

/** HTTP statuses that mean "the gateway is not there right now" rather than "no". */
const TRANSIENT = new Set([502, 503, 504]);

export class GatewayClient {
  readonly url: string;
  private readonly fetch: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: GatewayClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /**
   * This client for the calls made on behalf of one MCP request: its trace context goes along
   * as the `traceparent` / `tracestate` headers (W3C Trace Context §3.2, §3.3).
   */
  withTrace(trace: TraceContext | undefined): GatewayClient {
    if (trace === undefined) return this;
    return new GatewayClient({
      ...this.options,
      headers: { ...this.options.headers, ...trace },
    });
  }

  async submit(body: SubmitBody): Promise<GatewayRecord> {
    return readGatewayRecord(await this.call('POST', '/v1/actions', body));
  }

  async get(id: string): Promise<GatewayRecord> {
    return readGatewayRecord(await this.call('GET', `/v1/actions/${encodeURIComponent(id)}`));
  }

  /** `GET /v1/actions/:id/wait`: the record once it leaves `pending`, or still pending after `seconds`. */
  async wait(id: string, seconds: number, signal?: AbortSignal): Promise<GatewayRecord> {
    const path = `/v1/actions/${encodeURIComponent(id)}/wait?timeout=${seconds}`;
    const timeoutMs = seconds * 1000 + this.timeoutMs;
    return readGatewayRecord(await this.call('GET', path, undefined, { signal, timeoutMs }));
  }

  /** `POST /v1/grants/redeem` with the exact action: uses the grant up, once. */
  async redeem(grant: string, spec: ActionSpec): Promise<void> {
    await this.call('POST', '/v1/grants/redeem', { grant, ...spec });
  }

  async reportResult(
    id: string,
    outcome: 'completed' | 'failed',
    detail: JsonValue,
  ): Promise<void> {
    await this.call('POST', `/v1/actions/${encodeURIComponent(id)}/result`, { outcome, detail });
  }

  async cancel(id: string, reason: string): Promise<void> {
    await this.call('POST', `/v1/actions/${encodeURIComponent(id)}/cancel`, { reason });
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
    options: { signal?: AbortSignal | undefined; timeoutMs?: number } = {},
  ): Promise<unknown> {
    const signals = [AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs)];
    if (options.signal) signals.push(options.signal);
    let status: number;
    let text: string;
    try {
      const res = await this.fetch(this.url + path, {
        method,
        headers: {
          ...this.options.headers,
          authorization: `Bearer ${this.options.token}`,
          'user-agent': 'countersign-mcp/0.1.0',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
      status = res.status;
      text = await res.text();
    } catch (e) {
      if (options.signal?.aborted) throw new McpProxyError('cancelled', 'the call was cancelled');
      throw new McpProxyError('gateway_unreachable', `${this.url}: ${describeFetchError(e)}`);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) return parsed;
    if (TRANSIENT.has(status)) {
      throw new McpProxyError('gateway_unreachable', `${this.url} answered ${status}`);
    }
    // RFC 9457 problem: `code` is the stable part, `detail` the human part (docs/api.md).
    const problem = isJsonObject(parsed) ? parsed : {};
    const code = typeof problem.code === 'string' ? problem.code : `http_${status}`;
    const detail = typeof problem.detail === 'string' ? problem.detail : text.slice(0, 200);
    throw new McpProxyError('gateway_refused', `${code}: ${detail}`, { code, status });
  }
}

/** fetch's errors hide the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause: unknown = e.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${e.message} (${code})` : `${e.message}: ${cause.message}`;
  }
  return e.message;
}
