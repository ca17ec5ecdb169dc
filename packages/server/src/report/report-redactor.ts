import type { JsonObject, JsonValue } from '@countersign/core';

/** What the report prints instead of a redacted value. */
export const REDACTED = '[redacted]';

/**
 * Scrubbing free text for a secret shorter than this would mangle every reason and comment
 * ("a" in "approved"); such values are still removed from the fields the policy names.
 */
const MIN_SCRUB_LENGTH = 4;

/** The parts of a request the report prints that a policy's `redact` paths can name. */
export interface RedactableFields {
  resource: string;
  params: JsonObject;
  justification: string | null;
}

export interface RedactedFields {
  resource: string;
  /** The params with redacted values replaced (`[redacted]` itself if the policy hides them all). */
  params: JsonValue;
  justification: string | null;
  /** The plaintext of every redacted value, to scrub from free text (see `scrub`). */
  secrets: string[];
}

/**
 * Applies a policy's `redact` paths (`params.password`, `justification`, `resource`) to what
 * the report prints, so no plaintext of a redacted field reaches the HTML or the JSON.
 *
 * Fail closed where a path is ambiguous: a path that runs into an array applies to every
 * element; a path that runs into a string or number before its end redacts that whole value
 * (we cannot tell which part of it the policy meant). Then, because a value the policy hides
 * can also be quoted elsewhere (an agent pastes the password into `params.sql`, a reviewer
 * into a comment), every printed string of the request is scrubbed of the redacted values.
 */
export class ReportRedactor {
  readonly paths: readonly string[];
  readonly #paths: readonly string[][];

  constructor(paths: readonly string[]) {
    this.paths = [...paths];
    this.#paths = paths.map((p) => p.split('.'));
  }

  fields(f: RedactableFields): RedactedFields {
    const secrets: string[] = [];
    // Only these three are printed; `context` never appears in the report.
    const view: Record<'resource' | 'params' | 'justification', JsonValue> = {
      resource: f.resource,
      params: f.params,
      justification: f.justification,
    };
    for (const path of this.#paths) {
      const [root, ...rest] = path;
      if (root !== 'resource' && root !== 'params' && root !== 'justification') continue;
      view[root] = redactAt(view[root], rest, secrets);
    }
    // Each is either what it was (a string, an object, null) or REDACTED.
    return {
      resource: typeof view.resource === 'string' ? view.resource : REDACTED,
      params: view.params,
      justification: typeof view.justification === 'string' ? view.justification : null,
      secrets: [...new Set(secrets)]
        .filter((s) => s.length >= MIN_SCRUB_LENGTH)
        .sort((a, b) => b.length - a.length),
    };
  }

  /** Replaces every occurrence of a redacted value in `text`. */
  static scrub(text: string, secrets: readonly string[]): string {
    let out = text;
    for (const s of secrets) out = out.split(s).join(REDACTED);
    return out;
  }

  /** `scrub` applied to every string (keys included) of a JSON value. */
  static scrubJson(value: JsonValue, secrets: readonly string[]): JsonValue {
    if (secrets.length === 0) return value;
    if (typeof value === 'string') return ReportRedactor.scrub(value, secrets);
    if (Array.isArray(value)) return value.map((v) => ReportRedactor.scrubJson(v, secrets));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          ReportRedactor.scrub(k, secrets),
          ReportRedactor.scrubJson(v, secrets),
        ]),
      );
    }
    return value;
  }
}

function redactAt(value: JsonValue, path: readonly string[], secrets: string[]): JsonValue {
  if (value === null) return null;
  if (path.length === 0 || typeof value !== 'object') {
    collect(value, secrets);
    return REDACTED;
  }
  if (Array.isArray(value)) return value.map((v) => redactAt(v, path, secrets));
  const [key, ...rest] = path as [string, ...string[]];
  if (!Object.hasOwn(value, key)) return value;
  return { ...value, [key]: redactAt(value[key] ?? null, rest, secrets) };
}

function collect(value: JsonValue, secrets: string[]): void {
  // `true`/`false` are not secrets worth scrubbing from text (and would mangle it).
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'object') {
    for (const v of Array.isArray(value) ? value : Object.values(value)) collect(v, secrets);
    return;
  }
  secrets.push(String(value));
}
