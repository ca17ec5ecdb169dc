import type { ActionView, StandingLimits } from './api/types';

/**
 * Helpers for the approve form's "also approve the same kind of action" section: the CEL
 * condition it suggests, and the durations and use counts it offers within the policy's limits.
 * Whether a standing approval is allowed at all is the gateway's decision (it answers
 * `standing_not_allowed` with its reason); these only shape what is offered.
 */

/** The policy's defaults when a gateway does not say (docs/policy.md). */
export const DEFAULT_LIMITS: StandingLimits = {
  max_ms: 8 * 3_600_000,
  max_uses: 100,
  critical: false,
};

/**
 * The tightest limits over the request's rules: a standing approval must fit every one of
 * them. `null` when a rule forbids standing approvals.
 */
export function standingLimits(action: ActionView): StandingLimits | null {
  const clauses = action.approval?.clauses ?? [];
  if (clauses.length === 0) return null;
  let limits: StandingLimits | null = null;
  for (const c of clauses) {
    // A step-up rule allows them only with an explicit `standing` block (docs/policy.md).
    if (c.standing === null || (c.standing === undefined && c.step_up === 'web')) return null;
    const l = c.standing ?? DEFAULT_LIMITS;
    limits =
      limits === null
        ? { ...l }
        : {
            max_ms: Math.min(limits.max_ms, l.max_ms),
            max_uses: Math.min(limits.max_uses, l.max_uses),
            critical: limits.critical && l.critical,
          };
  }
  return limits;
}

/** Durations to offer, as the API's duration strings, up to the policy's maximum. */
const DURATIONS: readonly [string, number][] = [
  ['15m', 15 * 60_000],
  ['30m', 30 * 60_000],
  ['1h', 3_600_000],
  ['2h', 2 * 3_600_000],
  ['4h', 4 * 3_600_000],
  ['8h', 8 * 3_600_000],
  ['1d', 86_400_000],
  ['3d', 3 * 86_400_000],
  ['7d', 7 * 86_400_000],
  ['30d', 30 * 86_400_000],
];

export function durationChoices(maxMs: number): { value: string; ms: number }[] {
  return DURATIONS.filter(([, ms]) => ms <= maxMs).map(([value, ms]) => ({ value, ms }));
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// CEL's reserved words cannot be field names after a dot.
const RESERVED = new Set(
  (
    'false in null true as break const continue else for function if import let loop package ' +
    'namespace return var void while'
  ).split(' '),
);

/**
 * A CEL string literal for any text: printable ASCII as is (with `"` and `\` escaped), every
 * other character as a `\u`/`\U` escape. The agent's resource may hold bidi overrides or
 * controls; escaped, the condition reads in the text box exactly as the gateway parses it.
 */
export function celString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else if (code >= 0xd800 && code <= 0xdfff) out += '\\uFFFD';
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** `params.rows` or, for a key that is not a plain name, `params["a key"]`. */
export function celParam(key: string): string {
  return IDENTIFIER.test(key) && !RESERVED.has(key) ? `params.${key}` : `params[${celString(key)}]`;
}

/**
 * The suggested condition: the same resource, and each numeric parameter at most what this
 * request asked for (`params.rows <= 50000`). Agent, action and environment need no clause:
 * a standing approval is always pinned to those. The reviewer edits it before submitting.
 */
export function suggestCondition(action: ActionView, maxNumbers = 4): string {
  const parts = [`resource == ${celString(action.resource)}`];
  let numbers = 0;
  for (const [key, value] of Object.entries(action.params)) {
    if (numbers >= maxNumbers) break;
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    // Beyond int64 an integer literal would not parse: write it as a double.
    const literal =
      Math.abs(value) > Number.MAX_SAFE_INTEGER ? value.toExponential() : String(value);
    parts.push(`${celParam(key)} <= ${literal}`);
    numbers++;
  }
  return parts.join(' && ');
}
