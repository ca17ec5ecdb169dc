import type { FastifySchemaValidationError } from 'fastify';

/** One line of a 400's `errors` array (docs/api.md, "Errors"). */
export interface SchemaError {
  path: string;
  message: string;
}

const parentOf = (schemaPath: string) => schemaPath.slice(0, schemaPath.lastIndexOf('/'));

/**
 * A failed branch of a fixed set: `Type.Literal('low')` compiles to `{ type: 'string', const:
 * 'low' }`, so a number fails both keywords; `Type.Null()` to `type: 'null'`. A `type` error
 * counts only beside a `const`/`enum` of the same branch, or for null.
 */
function isChoice(e: FastifySchemaValidationError, all: readonly FastifySchemaValidationError[]) {
  if (e.keyword === 'const' || e.keyword === 'enum' || e.keyword === 'anyOf') return true;
  if (e.keyword !== 'type') return false;
  if (e.params.type === 'null') return true;
  const branch = parentOf(e.schemaPath);
  return all.some(
    (o) => (o.keyword === 'const' || o.keyword === 'enum') && parentOf(o.schemaPath) === branch,
  );
}

function choicesOf(e: FastifySchemaValidationError): unknown[] {
  if (e.keyword === 'const') return [e.params.allowedValue];
  if (e.keyword === 'enum') return (e.params.allowedValues as unknown[] | undefined) ?? [];
  if (e.keyword === 'type' && e.params.type === 'null') return [null];
  return [];
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * Ajv's errors (with `allErrors`) as lines a person reads once. A union of literals
 * (`risk: 'low' | 'medium' | …`) fails every branch: ajv reports one "must be equal to
 * constant" per value plus "must match a schema in anyOf", none naming a value
 * (https://ajv.js.org/api.html#error-objects). Those collapse into one line per field,
 * "must be one of low, medium, high, critical"; any other anyOf keeps its branches' own errors.
 */
export function schemaErrorsOf(
  validation: readonly FastifySchemaValidationError[],
  context = 'body',
): SchemaError[] {
  const collapsed = new Map<FastifySchemaValidationError, string>();
  const consumed = new Set<FastifySchemaValidationError>();
  // Outermost first: a nullable union nests one anyOf inside another.
  const unions = validation
    .filter((e) => e.keyword === 'anyOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const union of unions) {
    if (consumed.has(union)) continue;
    const branches = validation.filter(
      (e) => e !== union && e.schemaPath.startsWith(`${union.schemaPath}/`),
    );
    const fixed =
      branches.length > 0 &&
      branches.every((e) => isChoice(e, branches) && e.instancePath === union.instancePath) &&
      branches.some((e) => choicesOf(e).length > 0);
    if (!fixed) continue;
    const values = [...new Set(branches.flatMap(choicesOf).map(show))];
    collapsed.set(union, `must be one of ${values.join(', ')}`);
    for (const b of branches) consumed.add(b);
  }

  const lines: SchemaError[] = [];
  const seen = new Set<string>();
  for (const e of validation) {
    if (consumed.has(e)) continue;
    const message =
      collapsed.get(e) ??
      (e.keyword === 'enum'
        ? `must be one of ${choicesOf(e).map(show).join(', ')}`
        : e.keyword === 'additionalProperties'
          ? `unknown field "${String(e.params.additionalProperty)}"`
          : (e.message ?? 'is invalid'));
    const line = { path: `${context}${e.instancePath}`, message };
    const key = JSON.stringify(line);
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(line);
  }
  return lines;
}
