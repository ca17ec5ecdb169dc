import canonicalizeImpl from 'canonicalize';
import { CountersignError } from '../errors.js';
import type { JsonValue } from '../model/json.js';

// The package's default export is typed loosely across module systems; pin the shape here.
const canonicalizeFn = canonicalizeImpl;

/**
 * RFC 8785 (JSON Canonicalization Scheme): sorted keys by UTF-16 code units, no whitespace,
 * ECMAScript number serialisation. Two JSON texts that parse to the same value always
 * canonicalise to the same bytes, whatever their key order or spacing.
 */
export function canonicalJson(value: JsonValue): string {
  const out = canonicalizeFn(value);
  if (out === undefined) {
    throw new CountersignError('invalid_request', 'value cannot be canonicalised as JSON');
  }
  return out;
}
