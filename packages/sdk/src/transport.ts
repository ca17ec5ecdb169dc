/**
 * One JSON call to the gateway, and the same call retried. A failure is either a refusal
 * (4xx: the gateway answered no, retrying will not help) or transient (no answer, 5xx, 429,
 * a timeout): only the latter is retried.
 * @module
 */
import { ApiError, GatewayUnavailable } from './errors.js';
import { abortReason, backoffDelay, sleep, type ResolvedRetry, type RetryInfo } from './retry.js';
import type { Problem } from './wire-types.js';

/** The gateway did not answer usefully; worth another try. */
export class TransientFailure extends Error {
  override name = 'TransientFailure';
  constructor(
    message: string,
    readonly retryAfterMs = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface TransportSettings {
  url: string;
  token: string;
  fetch: typeof fetch;
  retry: ResolvedRetry;
  userAgent: string;
  onRetry: ((info: RetryInfo) => void) | undefined;
}

export interface CallOptions {
  body?: unknown;
  signal?: AbortSignal | undefined;
  /** Per-attempt deadline: a gateway that stops answering mid-call must not hang us. */
  timeoutMs?: number;
}

const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export class Transport {
  constructor(readonly settings: TransportSettings) {}

  /** One attempt. Throws `ApiError` (4xx), `TransientFailure`, or the caller's abort reason. */
  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const { url, token, userAgent } = this.settings;
    const deadline = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await this.settings.fetch(url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'user-agent': userAgent,
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (e) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      const why = deadline.aborted ? 'timed out' : describe(e);
      throw new TransientFailure(`${method} ${url}${path}: ${why}`, 0, { cause: e });
    }
    if (status >= 500 || status === 429 || status === 408) {
      throw new TransientFailure(
        `${method} ${url}${path}: ${status} ${problemOf(text, status).code}`,
        retryAfterMs(retryAfter),
      );
    }
    if (status >= 400) throw new ApiError(problemOf(text, status));
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      // A 2xx with a body cut short (the gateway went away mid-answer) is not an answer.
      throw new TransientFailure(`${method} ${url}${path}: unreadable response`, 0, { cause: e });
    }
  }

  /**
   * The call, retried with backoff on transient failures up to `retry.attempts` times; then
   * `GatewayUnavailable`. Refusals and aborts are thrown at once.
   */
  async callWithRetry<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const { retry, onRetry } = this.settings;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call<T>(method, path, options);
      } catch (e) {
        if (!(e instanceof TransientFailure)) throw e;
        if (attempt >= retry.attempts) {
          throw new GatewayUnavailable(
            `the gateway did not answer after ${attempt} attempts: ${e.message}`,
            { cause: e },
          );
        }
        const delayMs = backoffDelay(retry, attempt - 1, e.retryAfterMs);
        onRetry?.({ error: e, attempt, delayMs });
        await sleep(delayMs, options.signal);
      }
    }
  }
}

/** The problem body of a refusal; a synthetic one when a proxy answered with something else. */
function problemOf(text: string, status: number): Problem {
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (parsed && typeof parsed.code === 'string') {
      return {
        type: String(parsed.type ?? ''),
        title: String(parsed.title ?? ''),
        detail: String(parsed.detail ?? ''),
        ...parsed,
        status,
        code: parsed.code,
      };
    }
  } catch {
    // not JSON: fall through
  }
  const code = status >= 500 ? 'internal' : 'invalid_request';
  return { type: 'about:blank', title: `HTTP ${status}`, status, code, detail: text.slice(0, 200) };
}

/** Retry-After in seconds (RFC 9110 §10.2.3); the HTTP-date form is ignored. */
function retryAfterMs(header: string | null): number {
  const seconds = header === null ? NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 0;
}

/** fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ECONNRESET…). */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? e.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return cause ? `${e.message} (${typeof code === 'string' ? code : cause.message})` : e.message;
}
