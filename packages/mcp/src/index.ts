/**
 * @countersign/mcp: an MCP proxy that turns every `tools/call` of an upstream MCP server into a
 * Countersign request (`mcp.<server>.<tool>`) and forwards it only once it is approved.
 * See docs/mcp.md.
 * @module
 */
export { runMcpProxy, type RunMcpProxyOptions } from './run-mcp-proxy.js';
export { McpHttpServer, type McpHttpServerOptions, type HttpListen } from './serve-http.js';
export { McpProxy, type McpProxyOptions, type CloseReason } from './mcp-proxy.js';
export {
  ToolCallGate,
  type ToolCall,
  type ToolCallGateOptions,
  type Verdict,
} from './tool-call-gate.js';
export { GatewayClient, type GatewayClientOptions, type SubmitBody } from './gateway-client.js';
export { readGatewayRecord, type GatewayRecord } from './gateway-record.js';
export { waitForDecision, type WaitOptions } from './wait-for-decision.js';
export { openUpstream, upstreamEnv, type UpstreamSpec } from './upstream.js';
export { serverSlug, toolSegment, toolAction, toolContext } from './tool-action.js';
export { riskFromHints, type ToolHints } from './tool-hints.js';
export { ToolCatalog } from './tool-catalog.js';
export { IdempotencyKeys } from './idempotency-key.js';
export { refusalResult } from './refusal-result.js';
export { McpProxyError, isMcpProxyError, type McpProxyErrorCode } from './mcp-proxy-error.js';
export { TokenSigner, TokenError, type TokenPurpose, type TokenFailure } from './signed-token.js';
export {
  ApprovalHandles,
  callDigest,
  type BoundCall,
  type StateClaims,
} from './approval-handles.js';
export { traceContextOf, isTraceparent, isTracestate, type TraceContext } from './trace-context.js';
export { probeUpstreamEra, type UpstreamEra } from './upstream-era.js';
export { MODERN_VERSION, LEGACY_VERSION, TASKS_EXTENSION, type Era } from './protocol-era.js';
