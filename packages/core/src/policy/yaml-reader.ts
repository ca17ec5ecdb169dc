/**
 * A small validating reader over a parsed YAML document. Every value is read through it, so
 * every problem becomes a PolicyIssue at the line and column of the offending node, and
 * reading goes on so that one run reports them all.
 * @module
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar } from 'yaml';
import type { Document, Node } from 'yaml';
import type { PolicyIssue } from './types.js';
import { closestMatch } from './closest-match.js';
import { parseDuration } from './duration.js';

/** A mapping's values by key, and the mapping node itself for "missing key" issues. */
export interface Fields {
  node: Node;
  get(key: string): Node | undefined;
}

export class YamlReader {
  readonly issues: PolicyIssue[] = [];

  private constructor(
    readonly file: string,
    private readonly source: string,
    private readonly lines: LineCounter,
    private readonly doc: Document.Parsed,
  ) {}

  /** Parses `source`; YAML syntax errors are recorded as issues (check `issues` first). */
  static parse(source: string, file: string): YamlReader {
    const lines = new LineCounter();
    // uniqueKeys: a duplicated key would silently replace the first (`decision: allow` twice
    // in a rule). YAML 1.2 core schema: no `yes`/`no` booleans or sexagesimal surprises.
    const doc = parseDocument(source, {
      lineCounter: lines,
      uniqueKeys: true,
      prettyErrors: false,
    });
    const reader = new YamlReader(file, source, lines, doc);
    for (const e of [...doc.errors, ...doc.warnings]) {
      const message =
        e.code === 'MULTIPLE_DOCS'
          ? 'the file must hold exactly one YAML document (found a second "---")'
          : (e.message.split('\n')[0] ?? e.message);
      reader.issueAt(e.pos[0], message);
    }
    return reader;
  }

  /** The document's root node (undefined for an empty document). */
  get root(): Node | undefined {
    return this.resolve(this.doc.contents ?? undefined);
  }

  /** 1-based line and column of a node (or of the document start). */
  position(node: Node | undefined): { line: number; column: number } {
    const { line, col } = this.lines.linePos(node?.range?.[0] ?? 0);
    return { line, column: col };
  }

  /** Offset of a node's first character in the source. */
  offset(node: Node): number {
    return node.range?.[0] ?? 0;
  }

  /** The node's source text, exactly as written. */
  sourceOf(node: Node): string {
    const range = node.range;
    return range ? this.source.slice(range[0], range[1]) : '';
  }

  issue(node: Node | undefined, message: string): void {
    this.issueAt(node?.range?.[0] ?? 0, message);
  }

  issueAt(offset: number, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.issues.push({ file: this.file, line, column: col, message });
  }

  /**
   * A mapping with only `allowed` keys and all `required` ones. Unknown keys are errors,
   * with a suggestion when one is a likely typo (`requre_approval`).
   */
  fields(
    node: Node | undefined,
    what: string,
    allowed: readonly string[],
    required: readonly string[] = [],
  ): Fields | undefined {
    if (!isMap(node)) {
      this.issue(node, `${what} must be a mapping`);
      return undefined;
    }
    const values = new Map<string, Node | undefined>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      if (!isScalar(key) || typeof key.value !== 'string') {
        this.issue(key ?? node, `${what}: keys must be strings`);
        continue;
      }
      if (!allowed.includes(key.value)) {
        const hint = closestMatch(key.value, allowed);
        this.issue(
          key,
          `${what}: unknown key "${key.value}"` +
            (hint !== undefined
              ? ` (did you mean "${hint}"?)`
              : ` (allowed: ${allowed.join(', ')})`),
        );
        continue;
      }
      values.set(key.value, this.resolve(pair.value as Node | null) ?? emptyAt(key));
    }
    for (const key of required) {
      if (!values.has(key)) this.issue(node, `${what}: missing required key "${key}"`);
    }
    return { node, get: (key) => values.get(key) };
  }

  string(node: Node | undefined, what: string): string | undefined {
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    this.issue(node, `${what} must be a string`);
    return undefined;
  }

  /** A string, or a non-empty list of strings, each with its node (for positions). */
  stringOrList(
    node: Node | undefined,
    what: string,
  ): Array<{ value: string; node: Node }> | undefined {
    if (isScalar(node) && typeof node.value === 'string') return [{ value: node.value, node }];
    if (!isSeq(node)) {
      this.issue(node, `${what} must be a string or a list of strings`);
      return undefined;
    }
    return this.stringList(node, what);
  }

  /** A list of strings (non-empty unless `allowEmpty`), each with its node (for positions). */
  stringList(
    node: Node | undefined,
    what: string,
    allowEmpty = false,
  ): Array<{ value: string; node: Node }> | undefined {
    const items = this.list(node, what, allowEmpty);
    if (items === undefined) return undefined;
    const out: Array<{ value: string; node: Node }> = [];
    let ok = true;
    for (const item of items) {
      const value = this.string(item, `${what}: each entry`);
      if (value === undefined) ok = false;
      else out.push({ value, node: item });
    }
    return ok ? out : undefined;
  }

  /** A non-empty sequence's items, aliases resolved. */
  list(node: Node | undefined, what: string, allowEmpty = false): Node[] | undefined {
    if (!isSeq(node)) {
      this.issue(node, `${what} must be a list`);
      return undefined;
    }
    if (node.items.length === 0 && !allowEmpty) {
      this.issue(node, `${what} must not be empty`);
      return undefined;
    }
    return node.items.map((item) => this.resolve(item as Node | null) ?? emptyAt(node));
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(
    node: Node | undefined,
    what: string,
    choices: readonly T[],
  ): T | undefined {
    if (
      isScalar(node) &&
      typeof node.value === 'string' &&
      (choices as readonly string[]).includes(node.value)
    ) {
      return node.value as T;
    }
    const got = isScalar(node) ? JSON.stringify(node.value) : 'a collection';
    this.issue(node, `${what} must be one of ${choices.join(', ')}, got ${got}`);
    return undefined;
  }

  /** A whole number ≥ `min`. */
  integer(node: Node | undefined, what: string, min: number): number | undefined {
    if (
      isScalar(node) &&
      typeof node.value === 'number' &&
      Number.isSafeInteger(node.value) &&
      node.value >= min
    ) {
      return node.value;
    }
    this.issue(node, `${what} must be a whole number ≥ ${min}`);
    return undefined;
  }

  /** A duration such as `30m` or `1h30m`, in milliseconds. */
  duration(node: Node | undefined, what: string): number | undefined {
    const ms =
      isScalar(node) && typeof node.value === 'string' ? parseDuration(node.value) : undefined;
    if (ms === undefined) {
      const got = isScalar(node) ? JSON.stringify(node.value) : 'a collection';
      this.issue(node, `${what} must be a duration such as 30s, 15m, 2h, 1d or 1h30m, got ${got}`);
    }
    return ms;
  }

  /** The plain JS value of a node (for free-form data such as a test request's params). */
  value(node: Node): unknown {
    return node.toJS(this.doc, { maxAliasCount: 100 });
  }

  /** The whole document as plain data (after validation, so it is JSON). */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }

  private resolve(node: Node | null | undefined): Node | undefined {
    if (node === null || node === undefined) return undefined;
    if (isAlias(node)) return node.resolve(this.doc) ?? undefined;
    return node;
  }
}

/** A null scalar where a value is missing (`key:` with nothing after), for positions. */
function emptyAt(near: Node): Node {
  const empty = new Scalar(null);
  empty.range = near.range ?? null;
  return empty;
}
