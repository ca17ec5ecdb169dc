/**
 * The relay between an MCP client (Claude Desktop, Claude Code, Cursor) and an upstream MCP
 * server. It works on JSON-RPC messages, not on the SDK's `Client`/`Server` classes, so that
 * everything it does not gate reaches the other side byte for byte: `initialize` and the
 * capabilities negotiated in it, `tools/list` with every schema and annotation, resources,
 * prompts, completions, logging, pings, progress, list-changed notifications, and the requests
 * a server makes of the client (sampling, elicitation, roots). Only `tools/call` stops here.
 * @module
 */
import { isJsonObject, type JsonObject, type JsonValue } from '@countersign/core';
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
import {
  ApprovalHandles,
  invalidHandle,
  type BoundCall,
  type HandleKind,
} from './approval-handles.js';
import { taskBody, waitingMessage } from './approval-task.js';
import { ApprovalTasks } from './approval-tasks.js';
import {
  discoveryFromInitialize,
  legacyInitializeResult,
  proxyDiscoverResult,
} from './era-bridge.js';
import { errorResponse, keyOf, resultResponse } from './json-rpc.js';
import { OwnRequests } from './own-requests.js';
import { refusalResult } from './refusal-result.js';
import { serverSlug } from './tool-action.js';
import { ToolCatalog } from './tool-catalog.js';
import type { ToolCallGate, Verdict } from './tool-call-gate.js';
import { describeError } from './mcp-proxy-error.js';
import type { ToolHints } from './tool-hints.js';
import {
  LEGACY_VERSION,
  MODERN_VERSION,
  SERVER_INFO_KEY,
  UNSUPPORTED_PROTOCOL_VERSION,
  asModernResult,
  claimedVersion,
  complete,
  declaresTasks,
  declaresUrlElicitation,
  metaOf,
  omit,
  withModernMeta,
  withoutModernMeta,
  type Era,
} from './protocol-era.js';
import { TokenSigner } from './signed-token.js';
import { traceContextOf, type TraceContext } from './trace-context.js';
import { PROXY_INFO, probeUpstreamEra, type UpstreamEra } from './upstream-era.js';

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
  /**
   * Probe the upstream's era with `server/discover` (2026-07-28 basic/transports/stdio and
   * streamable-http, "Backward Compatibility"). How long to wait for an answer before deciding it is legacy.
   */
  probe?: { timeoutMs: number } | false;
  /** The upstream's era when it is already known (another proxy probed the same server). */
  upstreamEra?: UpstreamEra | undefined;
  /** Signs task ids and `requestState`; a random secret (per process) when absent. */
  signer?: TokenSigner;
  /** The gateway's base URL, for the approver link offered through URL-mode elicitation. */
  gatewayUrl?: string;
  /** How long a task id or `requestState` stays valid when the request has no deadline. */
  handleTtlMs?: number;
  now?: () => number;
}

/** The modern `tools/call`s forwarded upstream, so their answers can be reported and wrapped. */
interface Forwarded {
  actionId: string;
  /** Set for 2026-07-28 clients: an `input_required` answer gets the proxy's `requestState`. */
  call?: BoundCall;
  trace?: TraceContext | undefined;
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
  /** Requests of a 2026-07-28 client forwarded to a legacy upstream, with their method. */
  private readonly modernToLegacy = new Map<string, string>();
  /** Requests of a legacy client forwarded to a modern upstream: `input_required` is refused. */
  private readonly legacyToModern = new Set<string>();
  /** `tools/call`s waiting for a decision, by request id. */
  private readonly held = new Map<string, AbortController>();
  /** `tools/call`s forwarded after approval, by request id. */
  private readonly forwarded = new Map<string, Forwarded>();
  private readonly own: OwnRequests;
  private readonly handles: ApprovalHandles;
  private readonly now: () => number;
  /** Work that must reach the gateway before the process ends (reports, cancellations). */
  private readonly inFlight = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private upstreamEra: UpstreamEra = { era: 'legacy' };
  /** A legacy session the proxy opened itself, for a 2026-07-28 client over a legacy upstream. */
  private ownSession: Promise<JsonObject | undefined> | undefined;
  /** What a legacy client said in `initialize`, sent on as `_meta` to a modern upstream. */
  private legacyClient = { capabilities: {} as JsonObject, info: PROXY_INFO as JsonObject };
  private readonly tasks: ApprovalTasks;

  constructor(private readonly options: McpProxyOptions) {
    this.serverName = options.name === undefined ? undefined : serverSlug(options.name);
    this.log = options.log ?? (() => undefined);
    this.own = new OwnRequests(options.upstream, options.requestTimeoutMs);
    this.now = options.now ?? Date.now;
    this.handles = new ApprovalHandles(options.signer ?? new TokenSigner(undefined, this.now));
    this.tasks = new ApprovalTasks({
      gate: options.gate,
      handles: this.handles,
      now: this.now,
      hintsFor: (tool) => this.hintsFor(tool),
      run: (call, actionId, trace) => this.runTaskCall(call, actionId, trace),
      log: this.log,
    });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /**
   * Starts the upstream first and learns its era, so nothing the client sends arrives before
   * the proxy knows how to pass it on.
   */
  async start(): Promise<void> {
    const { downstream, upstream } = this.options;
    upstream.onmessage = (m: JSONRPCMessage) => this.fromUpstream(m);
    downstream.onmessage = (m: JSONRPCMessage) => this.fromClient(m);
    upstream.onerror = (e) => this.log(`upstream: ${e.message}`);
    downstream.onerror = (e) => this.log(`client: ${e.message}`);
    upstream.onclose = () => void this.close('upstream');
    downstream.onclose = () => void this.close('client');
    await upstream.start();
    const probe = this.options.probe ?? { timeoutMs: 5_000 };
    if (this.options.upstreamEra !== undefined) this.upstreamEra = this.options.upstreamEra;
    else if (probe !== false) {
      this.upstreamEra = await probeUpstreamEra(this.own, probe.timeoutMs);
      this.log(`the upstream speaks the ${this.upstreamEra.era} protocol`);
    }
    if (this.upstreamEra.era === 'modern') {
      const info = metaOf(this.upstreamEra.discover)[SERVER_INFO_KEY];
      if (isJsonObject(info) && typeof info.name === 'string')
        this.serverName ??= serverSlug(info.name);
    }
    await downstream.start();
  }

  /** The upstream's era, as found at start. */
  get era(): UpstreamEra {
    return this.upstreamEra;
  }

  /**
   * Stops: requests still waiting (or parked after a client gave up on them) are cancelled at
   * the gateway, since nobody will run them; calls forwarded without an answer are reported
   * failed; then both transports close. Tasks are not cancelled: they outlive the process.
   */
  close(reason: CloseReason = 'stopped'): Promise<void> {
    this.closing ??= this.shutdown(reason);
    return this.closing;
  }

  private async shutdown(reason: CloseReason): Promise<void> {
    for (const waiting of this.held.values()) waiting.abort();
    for (const { actionId } of this.forwarded.values()) {
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

  /**
   * A request's era is what it claims (2026-07-28 basic/versioning, "Backward Compatibility":
   * a dual-era server "selects its behavior from how the client opens"): the modern `_meta`
   * envelope, or none.
   */
  private fromClient(m: JSONRPCMessage): void {
    if (this.closing) return;
    if (isJSONRPCRequest(m)) {
      const version = m.method === 'initialize' ? undefined : claimedVersion(m.params);
      if (version !== undefined && version !== MODERN_VERSION) {
        // 2026-07-28 basic/versioning, "Protocol Version Negotiation".
        void this.toClient({
          jsonrpc: '2.0',
          id: m.id,
          error: {
            code: UNSUPPORTED_PROTOCOL_VERSION,
            message: 'Unsupported protocol version',
            data: { supported: [MODERN_VERSION], requested: version },
          },
        });
        return;
      }
      const era: Era = version === undefined ? 'legacy' : 'modern';
      if (era === 'modern') return this.track(this.fromModernClient(m));
      if (m.method === 'tools/call') return this.track(this.gate(m, 'legacy'));
      if (this.upstreamEra.era === 'modern') return this.track(this.legacyOverModern(m));
      if (m.method === 'initialize') this.initializing.add(keyOf(m.id));
      if (m.method === 'tools/list') this.listing.add(keyOf(m.id));
    } else if (isJSONRPCNotification(m) && m.method === 'notifications/cancelled') {
      const parsed = CancelledNotificationSchema.safeParse(m);
      const id = parsed.success ? parsed.data.params.requestId : undefined;
      const waiting = id === undefined ? undefined : this.held.get(keyOf(id));
      // The upstream never saw a call that is still waiting: the cancellation is ours.
      if (waiting) return waiting.abort();
    } else if (
      isJSONRPCNotification(m) &&
      this.upstreamEra.era === 'modern' &&
      m.method === 'notifications/initialized'
    ) {
      return; // the proxy answered `initialize` itself; a modern upstream has no session
    }
    void this.toUpstream(m);
  }

  /** A 2026-07-28 request: discovery and tasks are the proxy's, the rest goes upstream. */
  private async fromModernClient(m: JSONRPCRequest): Promise<void> {
    switch (m.method) {
      case 'server/discover':
        return this.toClient(resultResponse(m.id, await this.discoverResult()));
      case 'tools/call':
        return this.gate(m, 'modern');
      case 'tasks/get':
      case 'tasks/cancel':
      case 'tasks/update':
        // A legacy upstream names itself (and so the tasks' server) in `initialize`.
        if (this.upstreamEra.era === 'legacy') await this.legacySession();
        return this.toClient(await this.tasks.serve(m, this.serverName));
      default:
        if (m.method === 'tools/list') this.listing.add(keyOf(m.id));
        await this.toUpstream(await this.forModernClient(m));
    }
  }

  /**
   * A modern client's request as the upstream expects it: as is for a modern upstream; without
   * the modern envelope, inside the proxy's own legacy session, for a legacy one.
   */
  private async forModernClient(m: JSONRPCRequest): Promise<JSONRPCRequest> {
    if (this.upstreamEra.era === 'modern') return m;
    await this.legacySession();
    this.modernToLegacy.set(keyOf(m.id), m.method);
    return { ...m, params: withoutModernMeta((m.params ?? {}) as JsonObject) };
  }

  /** A legacy client's request over a modern upstream: the proxy plays the session. */
  private async legacyOverModern(m: JSONRPCRequest): Promise<void> {
    if (m.method === 'initialize') {
      const params = isJsonObject(m.params) ? m.params : {};
      this.legacyClient = {
        capabilities: isJsonObject(params.capabilities) ? params.capabilities : {},
        info: isJsonObject(params.clientInfo) ? params.clientInfo : PROXY_INFO,
      };
      return this.toClient(resultResponse(m.id, this.initializeResult(params.protocolVersion)));
    }
    // 2026-07-28 removed ping and logging/setLevel (changelog, major change 5): answered here.
    if (m.method === 'ping' || m.method === 'logging/setLevel')
      return this.toClient(resultResponse(m.id, {}));
    if (m.method === 'tools/list') this.listing.add(keyOf(m.id));
    this.legacyToModern.add(keyOf(m.id));
    await this.toUpstream(this.forLegacyClient(m));
  }

  private forLegacyClient(m: JSONRPCRequest): JSONRPCRequest {
    return { ...m, params: withModernMeta((m.params ?? {}) as JsonObject, this.legacyClient) };
  }

  /** `initialize`'s answer for a legacy client, from the modern upstream's discovery. */
  private initializeResult(requested: unknown): JSONRPCResultResponse['result'] {
    const discover = this.upstreamEra.era === 'modern' ? this.upstreamEra.discover : {};
    return legacyInitializeResult(discover, requested, this.serverName ?? 'upstream');
  }

  /** The proxy's `server/discover` answer, from the upstream's discovery or `initialize`. */
  private async discoverResult(): Promise<JSONRPCResultResponse['result']> {
    if (this.upstreamEra.era === 'modern') return proxyDiscoverResult(this.upstreamEra.discover);
    return proxyDiscoverResult(discoveryFromInitialize((await this.legacySession()) ?? {}));
  }

  /**
   * A legacy session with the upstream that the proxy opens itself, once, for a modern client
   * (the upstream will not take requests before `initialize`). It declares no client
   * capabilities: the modern client cannot be asked for sampling, roots or elicitation that way.
   */
  private legacySession(): Promise<JsonObject | undefined> {
    this.ownSession ??= (async () => {
      try {
        const response = await this.own.send('initialize', {
          protocolVersion: LEGACY_VERSION,
          capabilities: {},
          clientInfo: PROXY_INFO,
        });
        if (!isJSONRPCResultResponse(response)) return undefined;
        this.learnServer(response.result);
        await this.options.upstream.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        return response.result as JsonObject;
      } catch (e) {
        this.log(`could not open a session with the upstream: ${describeError(e)}`);
        return undefined;
      }
    })();
    return this.ownSession;
  }

  private fromUpstream(m: JSONRPCMessage): void {
    if (isJSONRPCResultResponse(m) || isJSONRPCErrorResponse(m)) {
      if (m.id !== undefined && this.own.settle(m.id, m)) return;
      const key = m.id === undefined ? undefined : keyOf(m.id);
      if (key !== undefined && isJSONRPCResultResponse(m)) {
        if (this.initializing.delete(key)) this.learnServer(m.result);
        if (this.listing.delete(key)) this.catalog.learn(m.result);
        const method = this.modernToLegacy.get(key);
        if (method !== undefined) m.result = asModernResult(method, m.result as JsonObject);
        if (this.legacyToModern.has(key) && m.result.resultType === 'input_required') {
          this.legacyToModern.delete(key);
          const message =
            'the upstream asked for more input (2026-07-28 input_required), which the proxy cannot ask a legacy client for';
          const forwarded = this.forwarded.get(key);
          this.forwarded.delete(key);
          if (forwarded !== undefined) {
            this.track(
              this.options.gate.report(
                forwarded.actionId,
                'failed',
                { mcp: { error: message } },
                forwarded.trace,
              ),
            );
          }
          return void this.toClient(errorResponse(m.id, ErrorCode.InternalError, message));
        }
      }
      if (key !== undefined) {
        this.modernToLegacy.delete(key);
        this.legacyToModern.delete(key);
      }
      const forwarded = key === undefined ? undefined : this.forwarded.get(key);
      if (key !== undefined && forwarded !== undefined) {
        this.forwarded.delete(key);
        return this.track(this.answerForwarded(m, forwarded));
      }
    } else if (isJSONRPCNotification(m) && m.method === 'notifications/tools/list_changed') {
      this.catalog.clear();
    } else if (isJSONRPCRequest(m) && this.ownSession !== undefined) {
      // A request of a legacy upstream in the proxy's own session: there is no legacy client
      // to ask, and the session declared no capabilities for it.
      void this.toUpstream(
        errorResponse(m.id, ErrorCode.MethodNotFound, `${m.method} is not available`),
      );
      return;
    }
    void this.toClient(m);
  }

  /**
   * The upstream's answer to an approved call: reported, then passed on. A 2026-07-28
   * `input_required` answer is not the end of the call: its `requestState` is wrapped in the
   * proxy's, so the client's retry continues this approved call instead of filing a new one.
   */
  private async answerForwarded(
    m: JSONRPCResultResponse | JSONRPCErrorResponse,
    forwarded: Forwarded,
  ): Promise<void> {
    if (
      forwarded.call !== undefined &&
      isJSONRPCResultResponse(m) &&
      m.result.resultType === 'input_required'
    ) {
      const upstreamState = m.result.requestState;
      const requestState = this.handles.state(
        forwarded.call,
        {
          actionId: forwarded.actionId,
          forwarded: true,
          upstreamState: typeof upstreamState === 'string' ? upstreamState : undefined,
        },
        this.now() + (this.options.handleTtlMs ?? 60 * 60_000),
      );
      return this.toClient({ ...m, result: { ...m.result, requestState } });
    }
    await this.toClient(m);
    await this.reportOutcome(forwarded.actionId, m, forwarded.trace);
  }

  /** Decides one `tools/call`, then forwards it or answers it with the refusal. */
  private async gate(request: JSONRPCRequest, era: Era): Promise<void> {
    try {
      await this.decideAndForward(request, era);
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

  private async decideAndForward(request: JSONRPCRequest, era: Era): Promise<void> {
    const parsed = CallToolRequestSchema.safeParse(request);
    if (!parsed.success) {
      // What cannot be read cannot be checked, so it is not forwarded either.
      await this.toClient(errorResponse(request.id, ErrorCode.InvalidParams, 'invalid tools/call'));
      return;
    }
    const { name: tool, arguments: args, _meta: meta } = parsed.data.params;
    // A legacy upstream names itself in `initialize`, which a modern client never sends.
    if (era === 'modern' && this.upstreamEra.era === 'legacy') await this.legacySession();
    const server = this.serverName;
    if (server === undefined) {
      const text = `${tool} was not called: the upstream has not named itself yet (no initialize); start the proxy with --name.`;
      await this.toClient(
        resultResponse(request.id, refusalResult(text, { id: null, status: null })),
      );
      return;
    }
    const call: BoundCall = { server, tool, arguments: isJsonObject(args) ? args : {} };
    const trace = traceContextOf(meta);
    const params = request.params as JsonObject;
    let resumeId: string | undefined;
    if (era === 'modern' && params.requestState !== undefined) {
      let claims;
      try {
        claims = this.handles.readState(params.requestState, call);
      } catch (e) {
        return this.refuseHandle(request, e, 'requestState');
      }
      if (claims.forwarded) {
        // The retry of an approved call the upstream asked input for: it continues that call.
        const rest = omit(params, 'requestState');
        const retry = {
          ...request,
          params:
            claims.upstreamState === undefined
              ? rest
              : { ...rest, requestState: claims.upstreamState },
        };
        return this.forward(retry, { actionId: claims.actionId, call, trace }, era);
      }
      resumeId = claims.actionId;
    }
    const key = keyOf(request.id);
    const controller = new AbortController();
    this.held.set(key, controller);
    const progressToken = meta?.progressToken;
    const tasks = era === 'modern' && declaresTasks(params);
    const urlElicitation =
      era === 'modern' && resumeId === undefined && declaresUrlElicitation(params);
    let progress = 0;
    let verdict: Verdict;
    try {
      const toolCall = {
        ...call,
        hints: await this.hintsFor(tool),
        requestId: request.id,
        signal: controller.signal,
        trace,
        detach: tasks || urlElicitation,
        // Progress only when the client asked for it by sending a token (MCP spec, Progress).
        onWaiting: (message: string) => {
          if (progressToken === undefined || controller.signal.aborted) return;
          progress += 1;
          void this.toClient({
            jsonrpc: '2.0',
            method: 'notifications/progress',
            params: { progressToken, progress, message },
          });
        },
      };
      verdict =
        resumeId === undefined
          ? await this.options.gate.decide(toolCall)
          : await this.options.gate.resume(toolCall, resumeId);
    } finally {
      this.held.delete(key);
    }
    if (verdict.kind === 'cancelled') return;
    if (verdict.kind === 'pending') {
      const record = verdict.record;
      const expiresAt = this.handleExpiry(record.expires_at);
      if (tasks) {
        // Tasks extension, "Task Creation": the gateway holds the request, so the task is
        // durable before this answer is sent.
        const taskId = this.handles.task(call, record.id, this.now(), expiresAt);
        const task = taskBody(
          {
            taskId,
            status: 'working',
            statusMessage: waitingMessage(record),
            createdAt: this.now(),
            expiresAt,
            now: this.now(),
          },
          'task',
        );
        return this.toClient(resultResponse(request.id, task));
      }
      // 2026-07-28 basic/patterns/mrtr with a URL-mode elicitation (client/elicitation, "URL
      // Mode"): the client shows the approver link and retries with the signed state.
      const requestState = this.handles.state(
        call,
        { actionId: record.id, forwarded: false, upstreamState: undefined },
        expiresAt,
      );
      return this.toClient(
        resultResponse(request.id, {
          resultType: 'input_required',
          inputRequests: {
            'countersign-approval': {
              method: 'elicitation/create',
              params: {
                mode: 'url',
                message: waitingMessage(record),
                url: `${(this.options.gatewayUrl ?? '').replace(/\/+$/, '')}/actions/${encodeURIComponent(record.id)}`,
              },
            },
          },
          requestState,
        }),
      );
    }
    if (verdict.kind === 'refuse') {
      const refusal = refusalResult(verdict.text, { id: verdict.actionId, status: verdict.status });
      await this.toClient(
        resultResponse(request.id, era === 'modern' ? complete(refusal) : refusal),
      );
      return;
    }
    if (controller.signal.aborted || this.closing) {
      // Approved, but the client cancelled or the proxy is stopping: the call is not made.
      await this.options.gate.report(
        verdict.actionId,
        'failed',
        { mcp: { error: 'cancelled before it was forwarded' } },
        trace,
      );
      return;
    }
    const forwardParams = omit(params, 'requestState');
    await this.forward(
      { ...request, params: forwardParams },
      { actionId: verdict.actionId, ...(era === 'modern' ? { call } : {}), trace },
      era,
    );
  }

  /** Sends an approved call upstream, in the upstream's era. */
  private async forward(request: JSONRPCRequest, forwarded: Forwarded, era: Era): Promise<void> {
    const key = keyOf(request.id);
    let outgoing = request;
    if (era === 'modern') outgoing = await this.forModernClient(request);
    else if (this.upstreamEra.era === 'modern') {
      this.legacyToModern.add(key);
      outgoing = this.forLegacyClient(request);
    }
    this.forwarded.set(key, forwarded);
    if (!(await this.toUpstream(outgoing))) {
      this.forwarded.delete(key);
      await this.options.gate.report(
        forwarded.actionId,
        'failed',
        { mcp: { error: 'the upstream MCP server could not be reached' } },
        forwarded.trace,
      );
    }
  }

  /** Runs an approved task's call upstream; a JSON-RPC error comes back as `{error}`. */
  private async runTaskCall(
    call: BoundCall,
    actionId: string,
    trace: TraceContext | undefined,
  ): Promise<JsonObject> {
    const params: JsonObject = { name: call.tool, arguments: call.arguments };
    const timeoutMs = 10 * 60_000;
    let response;
    try {
      if (this.upstreamEra.era === 'legacy') await this.legacySession();
      response = await this.own.send(
        'tools/call',
        this.upstreamEra.era === 'modern'
          ? withModernMeta(params, { capabilities: {}, info: PROXY_INFO })
          : params,
        timeoutMs,
      );
    } catch (e) {
      const error = { code: ErrorCode.InternalError, message: describeError(e) };
      await this.options.gate.report(actionId, 'failed', { mcp: { error } }, trace);
      return { error };
    }
    if (isJSONRPCErrorResponse(response)) {
      await this.reportOutcome(actionId, response, trace);
      return { error: { code: response.error.code, message: response.error.message } };
    }
    if (!isJSONRPCResultResponse(response))
      return { error: { code: -32603, message: 'no answer' } };
    await this.reportOutcome(actionId, response, trace);
    return complete(response.result as JsonObject);
  }

  /** A forged, edited, expired or misplaced task id or `requestState`: JSON-RPC Invalid Params. */
  private async refuseHandle(m: JSONRPCRequest, e: unknown, what: HandleKind): Promise<void> {
    const error = invalidHandle(m.id, e, what);
    this.log(`refused a ${m.method}: ${error.error.message} (${error.error.data.detail})`);
    await this.toClient(error);
  }

  private handleExpiry(expiresAt: string | null): number {
    const deadline = expiresAt === null ? NaN : Date.parse(expiresAt);
    const ttl = this.options.handleTtlMs ?? 24 * 60 * 60_000;
    // Past the request's own deadline a handle has nothing left to wait for.
    return Number.isFinite(deadline) ? deadline + 60 * 60_000 : this.now() + ttl;
  }

  /** The hints of `tool`; when it has not been listed yet, the proxy lists the tools itself. */
  private async hintsFor(tool: string): Promise<ToolHints> {
    const known = this.catalog.get(tool);
    if (known) return known;
    try {
      let cursor: string | undefined;
      // Bounded: an upstream that pages forever must not hold the call forever.
      for (let page = 0; page < 20; page++) {
        const params: JsonObject = cursor === undefined ? {} : { cursor };
        const response = await this.own.send(
          'tools/list',
          this.upstreamEra.era === 'modern'
            ? withModernMeta(params, { capabilities: {}, info: PROXY_INFO })
            : params,
        );
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

  private reportOutcome(
    actionId: string,
    m: JSONRPCResultResponse | JSONRPCErrorResponse,
    trace?: TraceContext,
  ) {
    if (isJSONRPCErrorResponse(m)) {
      const error: JsonValue = { code: m.error.code, message: m.error.message };
      return this.options.gate.report(actionId, 'failed', { mcp: { error } }, trace);
    }
    // Only the flag: tool output can be large or sensitive, and whatever is reported here
    // stays in the audit log for good.
    const isError = m.result.isError === true;
    return this.options.gate.report(
      actionId,
      isError ? 'failed' : 'completed',
      { mcp: { is_error: isError } },
      trace,
    );
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
