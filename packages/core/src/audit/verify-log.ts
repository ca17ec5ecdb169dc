import { isAuditError } from './audit-error.js';
import { judgeLog } from './judge-log.js';
import { parseNoteVerifierKey } from './note-keys.js';
import type { NoteVerifier } from './note-keys.js';
import { isVerifyLogFailure, openLogCheckpoint } from './open-log-checkpoint.js';
import type { LogCheckpoint } from './open-log-checkpoint.js';
import { scanEntries } from './scan-entries.js';
import type { EntryText } from './scan-entries.js';
import type { VerifyLogFailure, VerifyLogResult } from './verify-log-result.js';

export interface VerifyLogInput {
  /**
   * Every entry from index 0, in order: the exact canonical text of each (or its UTF-8 bytes,
   * which are the leaf bytes), singly or in batches. Read once, front to back.
   */
  readonly entries:
    AsyncIterable<EntryText | readonly EntryText[]> | Iterable<EntryText | readonly EntryText[]>;
  /** The signed checkpoint (C2SP signed note) that the entries must match exactly. */
  readonly checkpoint: string | Uint8Array;
  /** The log's verifier key(s), `<name>+<id>+<base64>`, obtained independently of the log. */
  readonly verifierKeys: string | readonly string[];
  /** An older checkpoint the auditor kept: the log must have only grown since. */
  readonly since?: string | Uint8Array;
  /** Older signed checkpoints shipped with the export: each must match too; they also narrow
   * down where damage starts. `label` names it in messages (e.g. its file name). */
  readonly history?: readonly { readonly label: string; readonly note: string | Uint8Array }[];
  /** Called every 65,536 entries and at the end. */
  readonly onProgress?: (verified: number, total: number) => void;
}

/**
 * Verifies a whole audit log offline, with no trust in whoever supplied it. The steps, each of
 * which can fail with its own code (see `VerifyLogFailureCode` and docs/audit.md):
 *
 * 1. parse the trusted verifier key(s);
 * 2. open the checkpoint: a signature by a trusted key named like its origin;
 * 3. open the older checkpoints (`since`, `history`): same log, signed, no larger;
 * 4. read every entry once: valid UTF-8 JSON in RFC 8785 canonical form, `v: 1`, `index` equal
 *    to its position, `prev` equal to the previous line's leaf hash; fold each leaf hash,
 *    SHA-256(0x00 ‖ bytes), into an O(log n) frontier (RFC 9162 §2.1.1), noting the root at
 *    every checkpoint's size;
 * 5. judge: as many entries as the checkpoint says, the root it signed, every older checkpoint
 *    a prefix (RFC 9162 §2.1.4: consistency, checked here by recomputing the old root from the
 *    entries themselves rather than with a proof). On failure, name the first bad entry.
 *
 * It never throws for bad input: the result says what is wrong.
 *
 * @example
 * const result = await verifyLog({
 *   entries: jsonlLines(createReadStream('export/entries.jsonl')),
 *   checkpoint: readFileSync('export/checkpoint.txt', 'utf8'),
 *   verifierKeys: publishedVerifierKey,
 * });
 * if (!result.ok) console.log(`FAIL at index ${result.first_bad_index}: ${result.reason}`);
 */
export async function verifyLog(input: VerifyLogInput): Promise<VerifyLogResult> {
  const verifiers = parseKeys(input.verifierKeys);
  if (!Array.isArray(verifiers)) return verifiers;

  const latest = openLogCheckpoint(input.checkpoint, verifiers, 'the checkpoint');
  if (isVerifyLogFailure(latest)) return latest;

  const older: LogCheckpoint[] = [];
  const notes = [
    ...(input.since === undefined ? [] : [{ label: 'the --since checkpoint', note: input.since }]),
    ...(input.history ?? []),
  ];
  for (const { label, note } of notes) {
    const opened = openLogCheckpoint(note, verifiers, label, latest.origin);
    if (isVerifyLogFailure(opened)) return opened;
    if (opened.size > latest.size) {
      return {
        ok: false,
        code: 'checkpoint_not_older',
        reason: `${label} has size ${opened.size}, beyond the checkpoint being verified (${latest.size})`,
      };
    }
    older.push(opened);
  }
  const since = input.since === undefined ? undefined : older[0];

  const scan = await scanEntries(
    input.entries,
    [latest, ...older].map((c) => c.size),
    latest.size,
    input.onProgress,
  );
  return judgeLog(latest, older, since, scan);
}

function parseKeys(keys: string | readonly string[]): NoteVerifier[] | VerifyLogFailure {
  const list: readonly unknown[] = typeof keys === 'string' ? [keys] : keys;
  if (!Array.isArray(list) || list.length === 0) {
    return { ok: false, code: 'key_invalid', reason: 'no verifier key' };
  }
  try {
    const parsed = list.map((k) => parseNoteVerifierKey(k as string));
    // The same key given twice is one key, not an ambiguity for openNote to refuse.
    return [...new Map(parsed.map((v) => [v.verifierKey, v])).values()];
  } catch (e) {
    if (!isAuditError(e)) throw e;
    return { ok: false, code: 'key_invalid', reason: `verifier key: ${e.message}` };
  }
}
