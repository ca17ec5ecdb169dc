/**
 * How deeply a JSON body may nest. Everything downstream of the parser (canonical JSON for the
 * digest, the redactor, the policy's `params` access, `JSON.stringify` into the store) walks a
 * value recursively; 10,000 levels of `[` fit in a 64 KiB body and overflow the stack, which
 * answered 500. 64 is far beyond any real request (the deepest one we know is a few levels of
 * MCP tool arguments) and far below any stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * The nesting depth of a JSON text exceeds `max`? A single pass with a counter, no recursion, so
 * it cannot itself overflow; run before `JSON.parse`. It only counts brackets outside strings:
 * it does not validate (the parser after it does), and a malformed text is reported however
 * deep it is by that parser, unless its brackets alone already pass the limit.
 */
export function jsonDepthExceeds(text: string, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}
