/**
 * Globs for a rule's `match` fields. `*` matches any run of characters (including none, and
 * including `.`, `/` and newlines), `?` exactly one character (UTF-16 code unit), everything
 * else only itself. A pattern must match the whole value.
 * @module
 */

/** A precompiled `match` field: one pattern or a list of which any may match. */
export interface GlobMatcher {
  readonly patterns: readonly string[];
  test(value: string): boolean;
}

type Test = (value: string) => boolean;

/**
 * Compiles one pattern or a list of patterns once, at policy load.
 *
 * Globs are not translated to a JavaScript RegExp on purpose: V8's regex engine backtracks,
 * so `^a.*b.*c$` runs in O(n²) on a long attacker-chosen `resource` (and O(n^k) with more
 * stars). Matching the pattern's literal segments left to right instead is O(n·m) at worst
 * and usually a single `startsWith`/`indexOf` (the leftmost placement of each segment is
 * always a valid one, because every gap between segments is a `*`).
 *
 * @example
 * compileGlob('db.ddl.*').test('db.ddl.drop.table'); // true
 * compileGlob(['staging', 'dev-?']).test('dev-1');    // true
 */
export function compileGlob(patterns: string | readonly string[]): GlobMatcher {
  const list = typeof patterns === 'string' ? [patterns] : [...patterns];
  if (list.every((p) => !hasWildcard(p))) {
    const literals = new Set(list);
    return { patterns: list, test: (value) => literals.has(value) };
  }
  const tests = list.map(compileOne);
  if (tests.length === 1) {
    const only = tests[0];
    return { patterns: list, test: only };
  }
  return {
    patterns: list,
    test: (value) => {
      for (const t of tests) if (t(value)) return true;
      return false;
    },
  };
}

function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

function compileOne(pattern: string): Test {
  // Consecutive stars mean the same as one.
  const segments = pattern
    .split('*')
    .filter((s, i, all) => s !== '' || i === 0 || i === all.length - 1);
  if (segments.length === 1) {
    const only = segments[0];
    return (value) => value.length === only.length && segmentAt(only, value, 0);
  }
  const first = segments[0];
  const last = segments[segments.length - 1];
  const middle = segments.slice(1, -1);
  const minLength = segments.reduce((n, s) => n + s.length, 0);
  const plain = (s: string): boolean => !s.includes('?');

  // The common shapes get a single string operation.
  if (middle.length === 0 && plain(first) && plain(last)) {
    if (last === '') return first === '' ? () => true : (value) => value.startsWith(first);
    if (first === '') return (value) => value.endsWith(last);
    return (value) => value.length >= minLength && value.startsWith(first) && value.endsWith(last);
  }

  return (value) => {
    if (value.length < minLength) return false;
    if (!segmentAt(first, value, 0)) return false;
    const end = value.length - last.length;
    if (!segmentAt(last, value, end)) return false;
    let pos = first.length;
    for (const seg of middle) {
      const at = findSegment(seg, value, pos, end);
      if (at < 0) return false;
      pos = at + seg.length;
    }
    return true;
  };
}

/** Does `seg` (where `?` is any one character) match `value` starting at `at`? */
function segmentAt(seg: string, value: string, at: number): boolean {
  for (let i = 0; i < seg.length; i++) {
    const c = seg.charCodeAt(i);
    if (c !== QUESTION && c !== value.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Leftmost index ≥ `from` at which `seg` matches and ends at or before `end`, or -1. */
function findSegment(seg: string, value: string, from: number, end: number): number {
  if (!seg.includes('?')) {
    const at = value.indexOf(seg, from);
    return at >= 0 && at + seg.length <= end ? at : -1;
  }
  for (let at = from; at + seg.length <= end; at++) {
    if (segmentAt(seg, value, at)) return at;
  }
  return -1;
}

const QUESTION = '?'.charCodeAt(0);
