import type { Risk } from '@countersign/core';

/**
 * What an upstream says about one of its tools in `tools/list`: the MCP tool annotations and
 * the display title. They are *hints* from the upstream ("clients should never make tool use
 * decisions based on ToolAnnotations received from untrusted servers", MCP spec, Tool
 * annotations), so they only ever raise or lower the `risk` hint of a request and land in its
 * `context`; which tools run is still decided by the policy, by action name.
 */
export interface ToolHints {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/**
 * `readOnlyHint` → `low`; otherwise `destructiveHint` → `high` (the spec makes
 * `destructiveHint` meaningful only when the tool is not read-only); no hint → no risk.
 */
export function riskFromHints(hints: ToolHints): Risk | undefined {
  if (hints.readOnlyHint === true) return 'low';
  if (hints.destructiveHint === true) return 'high';
  return undefined;
}
