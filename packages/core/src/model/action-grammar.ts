/**
 * The grammar of the fields that name an action (docs/api.md, "Submitting an action"). They are
 * shown to approvers in every channel and bound into the digest, so they must read as one line
 * of visible text: a newline, a control character, a bidi override (`invoice\u202Egpj.exe`)
 * or a zero-width character would let an agent make an approver read something other than
 * what is signed. The patterns are ECMA-262 with the `u` flag (JSON Schema's dialect, as Ajv
 * compiles it) and appear as such in /openapi.json.
 * @module
 */

/** Dotted identifier: `[A-Za-z0-9_-]` segments joined by single dots (`mcp.github.create_pull_request`). */
export const ACTION_PATTERN = '^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$';
export const ACTION_MAX_LENGTH = 200;

/**
 * One visible character: no whitespace (`\s`: spaces, tabs, line and paragraph separators,
 * NBSP, U+3000 …) and nothing of Unicode category C (controls, format characters such as the
 * bidi overrides U+202A–U+202E / U+2066–U+2069 and zero-width U+200B–U+200F / U+FEFF, lone
 * surrogates, private use, unassigned).
 */
const VISIBLE = '[^\\s\\p{C}]';

/**
 * Printable single-line text: visible characters, with single ASCII spaces allowed only between
 * two of them (a `file://` path may hold a space; a run of spaces, or one at either end, is a
 * way to pad something out of sight).
 */
export const PRINTABLE_PATTERN = `^${VISIBLE}(?:${VISIBLE}| (?=${VISIBLE}))*$`;

/** URI-like resource name, e.g. `postgres://prod/customers`, `k8s://prod/payments/deploy/api`. */
export const RESOURCE_PATTERN = PRINTABLE_PATTERN;
export const RESOURCE_MAX_LENGTH = 1000;

/** Environment name, e.g. `production`. */
export const ENVIRONMENT_PATTERN = '^[A-Za-z0-9._-]+$';
export const ENVIRONMENT_MAX_LENGTH = 64;

/** A directory id (`on_behalf_of`, an agent id to evaluate as): printable single-line text. */
export const PRINCIPAL_ID_PATTERN = PRINTABLE_PATTERN;
export const PRINCIPAL_ID_MAX_LENGTH = 200;
