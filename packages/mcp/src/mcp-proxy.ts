/**
 * The relay between an MCP client (Claude Desktop, Claude Code, Cursor) and an upstream MCP
 * server. It works on JSON-RPC messages, not on the SDK's `Client`/`Server` classes, so that
 * everything it does not gate reaches the other side byte for byte: `initialize` and the
 * capabilities negotiated in it, `tools/list` with every schema and annotation, resources,
 * prompts, completions, logging, pings, progress, list-changed notifications, and the requests
 * a server makes of the client (sampling, elicitation, roots). Only `tools/call` stops here.
 * @module
 */
import { isJsonObject, type JsonValue } from '@countersign/core';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  CancelledNotificationSchema,
  ErrorCode,
  InitializeResultSchema,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type JSONRPCRequest,
  type JSONRPCResultResponse,
} from '@modelcontextprotocol/sdk/types.js';
import { errorResponse, keyOf, resultResponse } from './json-rpc.js';
import { OwnRequests } from './own-requests.js';
import { refusalResult } from './refusal-result.js';
import { serverSlug } from './tool-action.js';
import { ToolCatalog } from './tool-catalog.js';
import type { ToolCallGate, Verdict } from './tool-call-gate.js';
import { describeError } from './mcp-proxy-error.js';
import type { ToolHints } from './tool-hints.js';

/** Why the proxy stopped: the client went away, the upstream did, or `close()` was called. */
export type CloseReason = 'client' | 'upstream' | 'stopped';

export interface McpProxyOptions {
  /** Towards the MCP client: the proxy is its server. */
  downstream: Transport;
  /** Towards the real server: the proxy is its client. */
  upstream: Transport;
  gate: ToolCallGate;
  /** The server segment of every action; the upstream's `serverInfo.name` otherwise. */
  name?: string | undefined;
  log?: (line: string) => void;
  /** For the proxy's own upstream requests (listing tools to learn their hints). */
  requestTimeoutMs?: number;
  /** How long a stop waits for outcome reports and cancellations to reach the gateway. */
  drainMs?: number;
}

export class McpProxy {
  /** Resolves once the proxy has stopped, with the reason. */
  readonly closed: Promise<CloseReason>;
  private resolveClosed: (reason: CloseReason) => void = () => undefined;
  private serverName: string | undefined;
  private readonly log: (line: string) => void;
  private readonly catalog = new ToolCatalog();
  /** Client requests whose response the proxy reads on the way back. */
  private readonly initializing = new Set<string>();
  private readonly listing = new Set<string>();
  /** `tools/call`s waiting for a decision, by request id. */
  private readonly held = new Map<string, AbortController>();
  /** `tools/call`s forwarded after approval: request id → Countersign request id. */
  private readonly forwarded = new Map<string, string>();
  private readonly own: OwnRequests;
  /** Work that must reach the gateway before the process ends (reports, cancellations). */
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: McpProxyOptions) {
    this.serverName = options.name === undefined ? undefined : serverSlug(options.name);
    this.log = options.log ?? (() => undefined);
    this.own = new OwnRequests(options.upstream, options.requestTimeoutMs);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Starts the upstream first, so nothing the client sends arrives before there is a peer. */
  async start(): Promise<void> {
    const { downstream, upstream } = this.options;
    upstream.onmessage = (m: JSONRPCMessage) => this.fromUpstream(m);
    downstream.onmessage = (m: JSONRPCMessage) => this.fromClient(m);
    upstream.onerror = (e) => this.log(`upstream: ${e.message}`);
    downstream.onerror = (e) => this.log(`client: ${e.message}`);
    upstream.onclose = () => void this.close('upstream');
    downstream.onclose = () => void this.close('client');
    await upstream.start();
    await downstream.start();
  }

  /**
   * Stops: requests still waiting (or parked after a client gave up on them) are cancelled at
   * the gateway, since nobody will run them; calls forwarded without an answer are reported
   * failed; then both transports close.
   */
  close(reason: CloseReason = 'stopped'): Promise<void> {
    this.closing ??= this.shutdown(reason);
    return this.closing;
  }

  private async shutdown(reason: CloseReason): Promise<void> {
    for (const waiting of this.held.values()) waiting.abort();
    for (const actionId of this.forwarded.values()) {
      this.track(
        this.options.gate.report(actionId, 'failed', {
          mcp: { error: 'the proxy stopped before the upstream answered' },
        }),
      );
    }
    this.forwarded.clear();
    // Aborted waits park their requests; once they have, the gate withdraws them all.
    const drained = Promise.allSettled([...this.inFlight]).then(() => this.options.gate.close());
    const limit = new Promise((r) => setTimeout(r, this.options.drainMs ?? 3_000).unref());
    await Promise.race([drained, limit]);
    await Promise.allSettled([this.options.upstream.close(), this.options.downstream.close()]);
    this.resolveClosed(reason);
  }

  private fromClient(m: JSONRPCMessage): void {
    if (this.closing) return;
    if (isJSONRPCRequest(m)) {
      if (m.method === 'tools/call') return this.track(this.gate(m));
      if (m.method === 'initialize') this.initializing.add(keyOf(m.id));
      if (m.method === 'tools/list') this.listing.add(keyOf(m.id));
    } else if (isJSONRPCNotification(m) && m.method === 'notifications/cancelled') {
      const parsed = CancelledNotificationSchema.safeParse(m);
      const id = parsed.success ? parsed.data.params.requestId : undefined;
      const waiting = id === undefined ? undefined : this.held.get(keyOf(id));
      // The upstream never saw a call that is still waiting: the cancellation is ours.
      if (waiting) return waiting.abort();
    }
    void this.toUpstream(m);
  }

  private fromUpstream(m: JSONRPCMessage): void {
    if (isJSONRPCResultResponse(m) || isJSONRPCErrorResponse(m)) {
      if (m.id !== undefined && this.own.settle(m.id, m)) return;
      const key = m.id === undefined ? undefined : keyOf(m.id);
      if (key !== undefined && isJSONRPCResultResponse(m)) {
        if (this.initializing.delete(key)) this.learnServer(m.result);
        if (this.listing.delete(key)) this.catalog.learn(m.result);
      }
      const actionId = key === undefined ? undefined : this.forwarded.get(key);
      if (key !== undefined && actionId !== undefined) {
        this.forwarded.delete(key);
        void this.toClient(m);
        return this.track(this.reportOutcome(actionId, m));
      }
    } else if (isJSONRPCNotification(m) && m.method === 'notifications/tools/list_changed') {
      this.catalog.clear();
    }
    void this.toClient(m);
  }

  /** Decides one `tools/call`, then forwards it or answers it with the refusal. */
  private async gate(request: JSONRPCRequest): Promise<void> {
    try {
      await this.decideAndForward(request);
    } catch (e) {
      // A bug must not leave the client hanging, nor let the call through: answer no.
      this.log(
        `internal error on a tools/call: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
      );
      const text = 'The Countersign proxy failed while checking this call; it was not made.';
      await this.toClient(
        resultResponse(request.id, refusalResult(text, { id: null, status: null })),
      );
    }
  }

  private async decideAndForward(request: JSONRPCRequest): Promise<void> {
    const parsed = CallToolRequestSchema.safeParse(request);
    if (!parsed.success) {
      // What cannot be read cannot be checked, so it is not forwarded either.
      await this.toClient(errorResponse(request.id, ErrorCode.InvalidParams, 'invalid tools/call'));
      return;
    }
    const { name: tool, arguments: args, _meta: meta } = parsed.data.params;
    const server = this.serverName;
    if (server === undefined) {
      const text = `${tool} was not called: the upstream has not named itself yet (no initialize); start the proxy with --name.`;
      await this.toClient(
        resultResponse(request.id, refusalResult(text, { id: null, status: null })),
      );
      return;
    }
    const key = keyOf(request.id);
    const controller = new AbortController();
    this.held.set(key, controller);
    const progressToken = meta?.progressToken;
    let progress = 0;
    let verdict: Verdict;
    try {
      verdict = await this.options.gate.decide({
        server,
        tool,
        arguments: isJsonObject(args) ? args : {},
        hints: await this.hintsFor(tool),
        requestId: request.id,
        signal: controller.signal,
        // Progress only when the client asked for it by sending a token (MCP spec, Progress).
        onWaiting: (message) => {
          if (progressToken === undefined || controller.signal.aborted) return;
          progress += 1;
          void this.toClient({
            jsonrpc: '2.0',
            method: 'notifications/progress',
            params: { progressToken, progress, message },
          });
        },
      });
    } finally {
      this.held.delete(key);
    }
    if (verdict.kind === 'cancelled') return;
    if (verdict.kind === 'refuse') {
      const refusal = refusalResult(verdict.text, { id: verdict.actionId, status: verdict.status });
      await this.toClient(resultResponse(request.id, refusal));
      return;
    }
    if (controller.signal.aborted || this.closing) {
      // Approved, but the client cancelled or the proxy is stopping: the call is not made.
      await this.options.gate.report(verdict.actionId, 'failed', {
        mcp: { error: 'cancelled before it was forwarded' },
      });
      return;
    }
    this.forwarded.set(key, verdict.actionId);
    if (!(await this.toUpstream(request))) {
      this.forwarded.delete(key);
      await this.options.gate.report(verdict.actionId, 'failed', {
        mcp: { error: 'the upstream MCP server could not be reached' },
      });
    }
  }

  /** The hints of `tool`; when it has not been listed yet, the proxy lists the tools itself. */
  private async hintsFor(tool: string): Promise<ToolHints> {
    const known = this.catalog.get(tool);
    if (known) return known;
    try {
      let cursor: string | undefined;
      // Bounded: an upstream that pages forever must not hold the call forever.
      for (let page = 0; page < 20; page++) {
        const response = await this.own.send('tools/list', cursor === undefined ? {} : { cursor });
        if (!isJSONRPCResultResponse(response)) break;
        cursor = this.catalog.learn(response.result).nextCursor;
        if (cursor === undefined || this.catalog.get(tool)) break;
      }
    } catch (e) {
      this.log(`could not list the upstream's tools: ${describeError(e)}`);
    }
    return this.catalog.get(tool) ?? {};
  }

  private learnServer(initializeResult: unknown): void {
    const parsed = InitializeResultSchema.safeParse(initializeResult);
    if (!parsed.success) return;
    // The Streamable HTTP transport sends the negotiated version on every later request; the
    // SDK's Client tells it, and so must we, since we bypass Client.
    this.options.upstream.setProtocolVersion?.(parsed.data.protocolVersion);
    this.serverName ??= serverSlug(parsed.data.serverInfo.name);
  }

  private reportOutcome(actionId: string, m: JSONRPCResultResponse | JSONRPCErrorResponse) {
    if (isJSONRPCErrorResponse(m)) {
      const error: JsonValue = { code: m.error.code, message: m.error.message };
      return this.options.gate.report(actionId, 'failed', { mcp: { error } });
    }
    // Only the flag: tool output can be large or sensitive, and whatever is reported here
    // stays in the audit log for good.
    const isError = m.result.isError === true;
    return this.options.gate.report(actionId, isError ? 'failed' : 'completed', {
      mcp: { is_error: isError },
    });
  }

  /** Sends upstream; a request that cannot be sent is answered with an error, so no one hangs. */
  private async toUpstream(m: JSONRPCMessage): Promise<boolean> {
    try {
      await this.options.upstream.send(m);
      return true;
    } catch (e) {
      const message = `the upstream MCP server is unavailable: ${describeError(e)}`;
      this.log(message);
      if (isJSONRPCRequest(m))
        await this.toClient(errorResponse(m.id, ErrorCode.InternalError, message));
      return false;
    }
  }

  private async toClient(m: JSONRPCMessage): Promise<void> {
    try {
      await this.options.downstream.send(m);
    } catch (e) {
      this.log(`could not write to the client: ${describeError(e)}`);
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((e: unknown) => this.log(`internal error: ${String(e)}`));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}
