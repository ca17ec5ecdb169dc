import { createHmac } from 'node:crypto';
import { canonicalJson, type JsonValue } from '@countersign/core';

/**
 * Replaces the values at the policy's `redact` paths (e.g. `params.password`) with a keyed
 * HMAC-SHA256 of their canonical JSON: the plaintext never reaches the log, while equal values
 * still produce equal tags, so an auditor can correlate ("the same password was used twice")
 * without learning it. Keyed, so a guessable value cannot be confirmed by hashing guesses.
 */
export class Redactor {
  constructor(
    private readonly key: Buffer,
    private readonly paths: () => readonly string[],
  ) {}

  /** A copy of `data` with every redacted path replaced; `data` itself is not changed. */
  apply(data: Record<string, unknown>): Record<string, unknown> {
    const paths = this.paths();
    if (paths.length === 0) return data;
    const copy = structuredClone(data);
    for (const path of paths) this.#replace(copy, path.split('.'));
    return copy;
  }

  tag(value: unknown): { $hmac: string } {
    const mac = createHmac('sha256', this.key)
      .update(canonicalJson(value as JsonValue))
      .digest('hex');
    return { $hmac: `hmac-sha256:${mac}` };
  }

  #replace(node: Record<string, unknown>, segments: string[]): void {
    const [head, ...rest] = segments;
    if (head === undefined || !Object.hasOwn(node, head)) return;
    if (rest.length === 0) {
      node[head] = this.tag(node[head]);
      return;
    }
    const child = node[head];
    if (typeof child === 'object' && child !== null && !Array.isArray(child)) {
      this.#replace(child as Record<string, unknown>, rest);
    }
  }
}
