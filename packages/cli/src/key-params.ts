/**
 * The few parameters that tell a request apart, for a terminal line: scalars only (a list or
 * an object is in `actions show` and `--json`), the shortest first, at most `max`, in the
 * order the agent sent them, each value cut to `maxLength` characters. The web inbox picks
 * the same way (packages/web/src/key-params.ts). The caller makes the result terminal-safe.
 * @example keyParams({ rows: 180000, columns: ['id'], format: 'csv' }) // [['rows', '180000'], ['format', 'csv']]
 */
export function keyParams(
  params: Record<string, unknown>,
  max = 4,
  maxLength = 40,
): Array<[string, string]> {
  const scalars: Array<{ k: string; text: string; order: number }> = [];
  for (const [order, [k, v]] of Object.entries(params).entries()) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
      scalars.push({ k, text: String(v), order });
  }
  return scalars
    .sort((a, b) => a.text.length + a.k.length - (b.text.length + b.k.length) || a.order - b.order)
    .slice(0, max)
    .sort((a, b) => a.order - b.order)
    .map(({ k, text }) => [k, cut(text, maxLength)]);
}

/** Cut by code points (a surrogate pair stays whole), marked with `…`. */
export function cut(s: string, max: number): string {
  const points = Array.from(s);
  return points.length <= max ? s : `${points.slice(0, max - 1).join('')}…`;
}
