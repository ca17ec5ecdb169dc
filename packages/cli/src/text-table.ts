import { cut } from './key-params.js';

/**
 * Rows as aligned columns under an upper-case header, two spaces apart. Cells must already be
 * terminal-safe (terminal-text.ts). `widest` caps a column (the resource, say): longer cells
 * are cut with `…`; the last column is never padded.
 */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  widest: Readonly<Record<number, number>> = {},
): string[] {
  const fitted = rows.map((r) => r.map((c, i) => (widest[i] ? cut(c, widest[i]) : c)));
  const length = (s: string) => Array.from(s).length;
  const widths = header.map((h, i) =>
    Math.max(length(h), ...fitted.map((r) => length(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - length(c))))
      .join('  ')
      .trimEnd();
  return [line(header.map((h) => h.toUpperCase())), ...fitted.map(line)];
}
