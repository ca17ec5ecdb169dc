/**
 * A unified diff of two texts by lines (the `diff -u` format `patch` and `git apply` read).
 * Policies are small, so a plain longest-common-subsequence table is fast enough.
 * @module
 */

const CONTEXT = 3;

/** `---`/`+++` headers and hunks with three lines of context; '' when the texts are equal. */
export function unifiedDiff(
  before: string,
  after: string,
  oldName: string,
  newName: string,
): string {
  if (before === after) return '';
  const a = before.split('\n');
  const b = after.split('\n');
  // A final newline makes an empty last element on both sides: not a line of its own.
  if (a.at(-1) === '' && b.at(-1) === '') {
    a.pop();
    b.pop();
  }
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  type Op = { tag: ' ' | '-' | '+'; text: string };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ tag: ' ', text: a[i++] });
      j++;
    } else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      ops.push({ tag: '+', text: b[j++] });
    } else ops.push({ tag: '-', text: a[i++] });
  }
  const out = [`--- ${oldName}`, `+++ ${newName}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k].tag === ' ') {
      k++;
      continue;
    }
    // A hunk: from CONTEXT lines before this change to CONTEXT after the last change that is
    // within 2 × CONTEXT of the one before it.
    const start = Math.max(0, k - CONTEXT);
    let end = k;
    for (let e = k; e < ops.length; e++) {
      if (ops[e].tag !== ' ') end = e;
      else if (e - end > 2 * CONTEXT) break;
    }
    const stop = Math.min(ops.length, end + CONTEXT + 1);
    const hunk = ops.slice(start, stop);
    const aLines = hunk.filter((o) => o.tag !== '+').length;
    const bLines = hunk.filter((o) => o.tag !== '-').length;
    const aStart = countBefore(ops, start, '+') + 1;
    const bStart = countBefore(ops, start, '-') + 1;
    out.push(
      `@@ -${aLines === 0 ? aStart - 1 : aStart},${aLines} +${bLines === 0 ? bStart - 1 : bStart},${bLines} @@`,
    );
    for (const o of hunk) out.push(`${o.tag}${o.text}`);
    k = stop;
  }
  return `${out.join('\n')}\n`;
}

/** Lines of one side before op `k`: every op but those of the other side's tag. */
function countBefore(ops: ReadonlyArray<{ tag: string }>, k: number, otherTag: string): number {
  let c = 0;
  for (let x = 0; x < k; x++) if (ops[x].tag !== otherTag) c++;
  return c;
}
