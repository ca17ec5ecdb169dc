import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';

/**
 * Validates events against our own OCSF 1.9 conformance schema,
 * test/ocsf-conformance/countersign-ocsf-1.9.schema.json: hand-written from the OCSF
 * specification for exactly the classes, profiles, objects and enum values the export emits, and
 * committed, so every test run (CI included) checks the export's output. The full published
 * schema (ocsf-validator.ts) is third-party and not committed; when it is present, the tests check
 * against it too, and ocsf-conformance.test.ts checks that this schema is a faithful subset of it.
 */
export const CONFORMANCE_SCHEMA_PATH = fileURLToPath(
  new URL('../../test/ocsf-conformance/countersign-ocsf-1.9.schema.json', import.meta.url),
);

export type Json = Record<string, unknown>;

export const conformanceSchema = JSON.parse(readFileSync(CONFORMANCE_SCHEMA_PATH, 'utf8')) as Json;

// strictTypes and strictRequired off: the class dispatch and the shared constraints (if / anyOf
// branches) name attributes without restating `type: object` or the properties, which the class
// definitions they apply to already declare.
const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const check = ajv.compile(conformanceSchema);

/** Validates one event; on failure, the errors as `path message params` lines. */
export function validateConformance(
  event: unknown,
): { ok: true } | { ok: false; errors: string[] } {
  if (check(event)) return { ok: true };
  return { ok: false, errors: (check.errors ?? []).map(describe) };
}

function describe(e: ErrorObject): string {
  return `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`;
}
