import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { ToolHints } from './tool-hints.js';

/**
 * The hints of every tool the upstream has listed, learnt from `tools/list` results as they go
 * by (the client's own, or the proxy's when a call names a tool it has not seen listed).
 */
export class ToolCatalog {
  private readonly tools = new Map<string, ToolHints>();

  /** Learns from one `tools/list` result page; anything that does not parse teaches nothing. */
  learn(result: unknown): { nextCursor: string | undefined } {
    const parsed = ListToolsResultSchema.safeParse(result);
    if (!parsed.success) return { nextCursor: undefined };
    for (const tool of parsed.data.tools) {
      const a = tool.annotations ?? {};
      const hints: ToolHints = {};
      const title = tool.title ?? a.title;
      if (title !== undefined) hints.title = title;
      if (a.readOnlyHint !== undefined) hints.readOnlyHint = a.readOnlyHint;
      if (a.destructiveHint !== undefined) hints.destructiveHint = a.destructiveHint;
      if (a.idempotentHint !== undefined) hints.idempotentHint = a.idempotentHint;
      if (a.openWorldHint !== undefined) hints.openWorldHint = a.openWorldHint;
      this.tools.set(tool.name, hints);
    }
    return { nextCursor: parsed.data.nextCursor };
  }

  get(tool: string): ToolHints | undefined {
    return this.tools.get(tool);
  }

  /** After `notifications/tools/list_changed`: the hints may be stale. */
  clear(): void {
    this.tools.clear();
  }
}
