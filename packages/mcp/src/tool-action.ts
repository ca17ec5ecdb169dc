import type { ActionSpec, JsonObject } from '@countersign/core';
import type { ToolHints } from './tool-hints.js';

/** `action` segments are `[A-Za-z0-9_-]` (docs/api.md); a whole action is at most 200 characters. */
const SERVER_MAX = 64;
const TOOL_MAX = 120;

/**
 * The server segment of `mcp.<server>.<tool>`: lower-case `[a-z0-9_-]`, other runs of
 * characters become one `-`. `"GitHub MCP Server"` → `github-mcp-server`.
 *
 * @example
 * serverSlug('@acme/Files'); // 'acme-files'
 */
export function serverSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SERVER_MAX);
  return slug === '' ? 'upstream' : slug;
}

/**
 * The tool segment: the tool's name with every character an action may not contain replaced
 * by `_` (`repo.delete` → `repo_delete`). The exact name stays in `resource` and `context`.
 */
export function toolSegment(tool: string): string {
  const segment = tool.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, TOOL_MAX);
  return segment === '' ? '_' : segment;
}

/**
 * The Countersign action for one `tools/call`: `mcp.<server>.<tool>` on `mcp://<server>/<tool>`
 * with the call's arguments as `params`. These four fields are what an approval is bound to.
 *
 * @example
 * toolAction('github', 'create_pull_request', { title: 'x' }, 'default');
 * // { action: 'mcp.github.create_pull_request', resource: 'mcp://github/create_pull_request', … }
 */
export function toolAction(
  server: string,
  tool: string,
  args: JsonObject,
  environment: string,
): ActionSpec {
  return {
    action: `mcp.${server}.${toolSegment(tool)}`,
    resource: `mcp://${server}/${encodeURIComponent(tool)}`,
    environment,
    params: args,
  };
}

/** The request's `context`: where the call came from and what the upstream said about the tool. */
export function toolContext(server: string, tool: string, hints: ToolHints): JsonObject {
  const annotations: JsonObject = {};
  for (const key of [
    'readOnlyHint',
    'destructiveHint',
    'idempotentHint',
    'openWorldHint',
  ] as const) {
    const value = hints[key];
    if (value !== undefined) annotations[key] = value;
  }
  const mcp: JsonObject = { server, tool, annotations };
  if (hints.title !== undefined) mcp.title = hints.title;
  return { mcp };
}
