import { isJsonObject } from '../model/json.js';
import { isCanonicalJson } from './is-canonical-json.js';
import { HASH_SIZE } from './merkle-hash.js';
import { decodeBase64Strict } from './strict-base64.js';

/** What one line of an export says about itself and its link to the line before. */
export type EntryLineCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code:
        'entry_malformed' | 'entry_not_canonical' | 'entry_out_of_order' | 'prev_mismatch';
      readonly reason: string;
      /** For `entry_out_of_order`: the index the line claims, and its prev as written. */
      readonly claimedIndex?: number;
      readonly prev?: string | null;
    };

/**
 * Checks the line found at `position` (see `AuditEntry`): a JSON object, in its RFC 8785
 * canonical form, format `v: 1`, `index` equal to its position, and `prev` null for entry 0 and
 * otherwise the base64 leaf hash of the line before (`expectedPrev`). The line is
 * attacker-controlled: anything unexpected, including nesting too deep for the stack, is a
 * typed refusal. Other members are the report's business, not the log's integrity.
 */
export function checkEntryLine(
  text: string,
  position: number,
  expectedPrev: string | null,
): EntryLineCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return malformed('is not JSON');
  }
  if (!isJsonObject(value)) return malformed('is not a JSON object');
  let canonical: boolean;
  try {
    canonical = isCanonicalJson(text, value);
  } catch {
    return malformed('cannot be canonicalised (nested too deeply?)');
  }
  if (!canonical) {
    return {
      ok: false,
      code: 'entry_not_canonical',
      reason: 'is not in RFC 8785 canonical form, so it is not the text the log hashed',
    };
  }
  if (value.v !== 1) return malformed('has no supported format version (v: 1)');
  // `prev` is required: were it optional, stripping it from entry i+1 would hide an edit of i.
  const prev = value.prev;
  if (prev !== null && typeof prev !== 'string') return malformed('has no prev');
  const index = value.index;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    return malformed('has no valid index');
  }
  if (index !== position) {
    const reason = `carries index ${index}`;
    return { ok: false, code: 'entry_out_of_order', reason, claimedIndex: index, prev };
  }
  // Base64 is canonical (padded, standard alphabet), so equal strings are equal hashes: the
  // common case costs one string comparison, the strict decode only runs on a mismatch.
  if (prev === expectedPrev) return { ok: true };
  if (position === 0) return malformed('(the first) has a prev');
  if (prev === null || decodeBase64Strict(prev)?.length !== HASH_SIZE) {
    return malformed('has a prev that is not base64 of a 32-byte hash');
  }
  return { ok: false, code: 'prev_mismatch', reason: 'does not chain to the line before' };
}

function malformed(reason: string): EntryLineCheck {
  return { ok: false, code: 'entry_malformed', reason };
}
