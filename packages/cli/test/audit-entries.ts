import { canonicalJson, leafHash } from '@countersign/core';

export const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/**
 * `n` chained audit entries, as the gateway writes them (core/audit/audit-entry.ts), after
 * `prefix`; `tag` goes into each new entry's data, so two logs can fork from a shared prefix.
 */
export function auditEntries(n: number, prefix: readonly string[] = [], tag = 'x'): string[] {
  const lines = [...prefix];
  for (let i = lines.length; i < n; i++) {
    lines.push(
      canonicalJson({
        v: 1,
        index: i,
        prev: i === 0 ? null : b64(leafHash(Buffer.from(lines[i - 1]))),
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        type: 'action.submitted',
        actor: { kind: 'agent', id: 'exporter' },
        request_id: `act_${i}`,
        data: { n: i, tag },
      }),
    );
  }
  return lines;
}
