import type { GatewayClient } from './gateway-client.js';
import type { GatewayRecord } from './gateway-record.js';
import { McpProxyError, isMcpProxyError } from './mcp-proxy-error.js';

export interface WaitOptions {
  client: GatewayClient;
  /** The pending record the submit returned. */
  record: GatewayRecord;
  /** Aborted when the MCP client cancels the call or the proxy stops. */
  signal: AbortSignal;
  /** Called at once and then every `heartbeatMs` while the request is pending. */
  onWaiting: (record: GatewayRecord) => void;
  /** Long-poll length (the gateway caps it at `server.max_wait_seconds`, 60 by default). */
  pollSeconds?: number;
  heartbeatMs?: number;
  /**
   * How long past `expires_at` to keep retrying a gateway that does not answer. The gateway
   * expires the request itself (also after a restart), so once the deadline is well past there
   * is nothing left to wait for.
   */
  graceMs?: number;
  /** When the record has no `expires_at`: how long the gateway may stay unreachable. */
  maxUnreachableMs?: number;
  now?: () => number;
}

/**
 * Long-polls until the request leaves `pending`. Network errors and 502–504 (a gateway
 * restarting, a proxy in between) do not end the wait: it backs off (250 ms doubling to 5 s)
 * and resumes on the same request, which the gateway kept (PRODUCT.md, "Nothing is lost").
 * Anything else, or a gateway still gone after the deadline, is thrown: the caller refuses.
 */
export async function waitForDecision(options: WaitOptions): Promise<GatewayRecord> {
  const { client, signal, onWaiting } = options;
  const now = options.now ?? Date.now;
  const pollSeconds = options.pollSeconds ?? 25;
  let record = options.record;
  const expires = record.expires_at === null ? NaN : Date.parse(record.expires_at);
  const giveUpAt = Number.isFinite(expires)
    ? expires + (options.graceMs ?? 30_000)
    : now() + (options.maxUnreachableMs ?? 10 * 60_000);

  onWaiting(record);
  // A heartbeat independent of the long-poll: MCP clients time requests out (60 s by default
  // in the SDK) unless progress keeps arriving.
  const heartbeat = setInterval(() => onWaiting(record), options.heartbeatMs ?? 10_000);
  try {
    let failures = 0;
    while (record.status === 'pending') {
      if (signal.aborted) throw new McpProxyError('cancelled', 'the tool call was cancelled');
      try {
        record = await client.wait(record.id, pollSeconds, signal);
        failures = 0;
      } catch (e) {
        if (!isMcpProxyError(e) || e.code !== 'gateway_unreachable') throw e;
        if (now() >= giveUpAt) {
          throw new McpProxyError(
            'gateway_unreachable',
            `lost the gateway while waiting for ${record.id}, and it did not come back before the request's deadline (${e.message})`,
          );
        }
        failures++;
        await sleep(Math.min(250 * 2 ** (failures - 1), 5_000), signal);
      }
    }
    return record;
  } finally {
    clearInterval(heartbeat);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
