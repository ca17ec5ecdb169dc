import { encodeBase64 } from './strict-base64.js';
import type { LogCheckpoint } from './open-log-checkpoint.js';
import type { EntryFault, EntryScan } from './scan-entries.js';
import type { VerifyLogFailure, VerifyLogResult } from './verify-log-result.js';

/**
 * The verdict on a scanned log, from three kinds of evidence:
 *
 * - entry faults (a line that is not a valid entry for its position, a broken `prev` link, too
 *   few or too many lines): each names an index;
 * - checkpoint comparisons: a signed checkpoint of size s whose root the stream reproduces proves
 *   entries [0, s) intact; one it does not reproduces proves a bad entry below s;
 * - which checkpoint is which: the latest is the one being verified, `since` the auditor's own.
 *
 * If the entries match the latest checkpoint and have no fault, any older signed checkpoint that
 * disagrees is a fork: two signed histories. Otherwise the entries were tampered with, and the
 * report names the lowest index the evidence supports.
 */
export function judgeLog(
  latest: LogCheckpoint,
  older: readonly LogCheckpoint[],
  since: LogCheckpoint | undefined,
  scan: EntryScan,
): VerifyLogResult {
  const matches = (c: LogCheckpoint) => {
    const root = scan.roots.get(c.size);
    return root === undefined ? undefined : Buffer.from(root).equals(c.root);
  };
  const checked = [latest, ...older].filter((c) => matches(c) !== undefined);
  checked.sort((a, b) => a.size - b.size);
  const good = checked.filter((c) => matches(c) === true);
  const bad = checked.filter((c) => matches(c) === false);

  let fault = scan.fault;
  const earlier = (f: EntryFault) => {
    if (fault === undefined || f.index < fault.index) fault = f;
  };
  if (scan.unreadable !== undefined) {
    earlier(
      at(scan.count, 'entries_unreadable', `cannot read entry ${scan.count}: ${scan.unreadable}`),
    );
  } else if (scan.count < latest.size) {
    earlier(
      at(
        scan.count,
        'entries_missing',
        `entry ${scan.count} is missing: ${latest.label} has ${latest.size} entries, only ${scan.count} were found`,
      ),
    );
  } else if (scan.count > latest.size) {
    earlier(
      at(
        latest.size,
        'entries_extra',
        `entry ${latest.size} is one too many: ${latest.label} has ${latest.size} entries, ${scan.count} were found`,
      ),
    );
  }

  if (fault === undefined && matches(latest) === true) {
    const first = bad[0];
    if (first === undefined) {
      return {
        ok: true,
        size: scan.count,
        root_hash: encodeBase64(latest.root),
        origin: latest.origin,
        checkpoint_size: latest.size,
        checkpoints_checked: older.length,
        ...(since ? { since: { size: since.size, consistent: true } } : {}),
      };
    }
    const from = lowerBound(good, first.size);
    return located(
      'fork',
      from,
      first.size,
      `${first.label} (size ${first.size}) is signed by the log but is not a prefix of ${latest.label}, which the entries match: the log's signed history differs in entries [${from}, ${first.size}) (a fork)`,
    );
  }

  // A broken link names p-1 as the likely edit; a matching checkpoint of size ≥ p clears p-1.
  if (fault?.code === 'prev_mismatch' && good.some((c) => c.size >= fault!.position)) {
    const p = fault.position;
    fault = at(
      p,
      'prev_mismatch',
      `entry ${p}'s prev does not match entry ${p - 1}, which a signed checkpoint proves intact: entry ${p} was altered`,
    );
  }
  const mismatch = bad[0];
  if (mismatch !== undefined && (fault === undefined || mismatch.size - 1 < fault.index)) {
    // No entry fault below: the prev chain is unbroken in [from, size), so its last entry is
    // certainly altered (were it intact, its successor's prev would pin its predecessor, and so
    // on down); earlier ones may be too if the chain was rewritten with them.
    const from = lowerBound(good, mismatch.size);
    const last = mismatch.size - 1;
    return located(
      'root_mismatch',
      from,
      mismatch.size,
      `entries [${from}, ${mismatch.size}) do not hash to the root of ${mismatch.label} (size ${mismatch.size}); the prev chain is unbroken, so entry ${last} was altered${from < last ? `, and perhaps entries from ${from} with their chain rewritten` : ''}`,
    );
  }
  if (fault === undefined) {
    // Unreachable: a latest checkpoint that does not match is in `bad`, one beyond the entries
    // is an `entries_missing` fault. Kept so that a gap here can never read as success.
    return { ok: false, code: 'root_mismatch', reason: `the entries do not match ${latest.label}` };
  }
  const failure: VerifyLogFailure = { ok: false, code: fault.code, reason: fault.reason };
  return fault.range
    ? { ...failure, range: fault.range }
    : { ...failure, first_bad_index: fault.index };
}

/** The largest size below `size` that a matching checkpoint proves intact (0 if none). */
function lowerBound(good: readonly LogCheckpoint[], size: number): number {
  return good.reduce((max, c) => (c.size < size && c.size > max ? c.size : max), 0);
}

function located(
  code: 'fork' | 'root_mismatch',
  from: number,
  to: number,
  reason: string,
): VerifyLogFailure {
  return to - from === 1
    ? { ok: false, code, reason, first_bad_index: from }
    : { ok: false, code, reason, range: { from, to } };
}

function at(index: number, code: EntryFault['code'], reason: string): EntryFault {
  return { code, index, position: index, reason };
}
