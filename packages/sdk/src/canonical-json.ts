/**
 * RFC 8785 JSON Canonicalization Scheme, with no dependencies: the bytes the action digest is
 * computed over. It must agree byte for byte with the gateway's (packages/core,
 * digest/canonical-json.ts); test/canonical-json.test.ts checks that on many values.
 * @module
 */

/**
 * The canonical JSON text of a value: object keys sorted by UTF-16 code units (RFC 8785
 * §3.2.3), no whitespace, numbers and strings serialised as ECMAScript's JSON.stringify does
 * (§3.2.2: JCS adopts exactly that). NaN, ±Infinity, lone surrogates (§3.2.2.2: not valid
 * I-JSON), BigInt and cycles are refused with a `TypeError`.
 *
 * @example
 * canonicalJson({ b: 1, a: [1e21, 0.5, -0] }); // '{"a":[1e+21,0.5,0],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  const out = serialize(value, new Set());
  if (out === undefined) throw new TypeError('the value has no JSON representation');
  return out;
}

function serialize(value: unknown, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
      return string(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} is not allowed in JSON`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('BigInt is not allowed in JSON: send it as a string');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const object = value as object;
  if (seen.has(object)) throw new TypeError('circular reference');
  seen.add(object);
  try {
    // Dates and other JSON-able objects canonicalise as what they serialise to.
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function')
      return serialize((toJSON as () => unknown).call(object), seen);
    if (Array.isArray(object)) {
      // As JSON.stringify: holes, undefined, functions and symbols become null in arrays.
      const items: string[] = [];
      for (let i = 0; i < object.length; i++) items.push(serialize(object[i], seen) ?? 'null');
      return `[${items.join(',')}]`;
    }
    const record = object as Record<string, unknown>;
    const members: string[] = [];
    // Array.prototype.sort without a comparator orders strings by UTF-16 code units, which is
    // what RFC 8785 §3.2.3 prescribes (not by code points, nor by locale).
    for (const key of Object.keys(record).sort()) {
      const member = serialize(record[key], seen);
      if (member !== undefined) members.push(`${string(key)}:${member}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    seen.delete(object);
  }
}

function string(s: string): string {
  if (hasLoneSurrogate(s)) throw new TypeError('a string holds a lone surrogate');
  return JSON.stringify(s);
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return true;
    }
  }
  return false;
}
