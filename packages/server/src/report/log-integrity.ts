import type { VerifyLogResult } from '@countersign/core';
import type { CheckpointEvidence, LogIntegritySection } from './soc2-report.js';

export interface LogIntegrityInput {
  /** `verifyLog`'s answer; null when the log could not be verified at all. */
  result: VerifyLogResult | null;
  /** Why there is no result, when there is none. */
  unavailable?: string | undefined;
  /** The signed checkpoint the entries were checked against. */
  checkpoint: { size: number; root_hash: string; note: string } | undefined;
  /** Entries in the store, checkpointed or not. */
  stored: number;
  verifierKey: string | null;
  /** Where the verifier key came from: an auditor's `--key` is independent of the store. */
  keySource: string;
}

const WHY =
  'The report recomputes the audit log against a checkpoint signed by the gateway, which is a ' +
  'separate evaluation of the logging control an auditor can repeat offline (CC4.1) and would ' +
  'expose any edited, deleted, inserted or reordered record of the monitored activity (CC7.2).';

/** The log-integrity section: `verifyLog`'s result and the checkpoint it was checked against. */
export function logIntegrity(input: LogIntegrityInput): LogIntegritySection {
  const c = input.checkpoint;
  const checkpoint: CheckpointEvidence | null = c
    ? { origin: c.note.split('\n', 1)[0] ?? '', size: c.size, root_hash: c.root_hash, note: c.note }
    : null;
  const header = {
    title: 'Audit log integrity',
    criteria: ['CC4.1' as const, 'CC7.2' as const],
    why: WHY,
  };
  const r = input.result;
  const after = c ? Math.max(0, input.stored - c.size) : null;
  if (r === null) {
    return {
      ...header,
      status: 'not_available',
      detail: `Verification not available: ${input.unavailable ?? 'no verifier'}.`,
      entries: null,
      entries_after_checkpoint: after,
      failure: null,
      checkpoint,
      verifier_key: input.verifierKey,
    };
  }
  const key = `Verifier key from ${input.keySource}.`;
  if (r.ok) {
    const n = r.checkpoints_checked;
    const older =
      n === 0
        ? ''
        : `; ${n} older signed checkpoint${n === 1 ? '' : 's'} match${n === 1 ? 'es' : ''} too`;
    return {
      ...header,
      status: 'verified',
      detail:
        `Recomputed all ${r.size} entries: every leaf, every prev link and the root match the ` +
        `checkpoint signed by ${r.origin}${older}. ${key}` +
        (after
          ? ` ${after} entries appended since that checkpoint are covered by the next one.`
          : ''),
      entries: r.size,
      entries_after_checkpoint: after,
      failure: null,
      checkpoint,
      verifier_key: input.verifierKey,
    };
  }
  const at = r.first_bad_index ?? null;
  return {
    ...header,
    status: 'failed',
    detail:
      `${r.code}: ${r.reason}` +
      (at !== null
        ? ` First bad entry: index ${at}.`
        : r.range
          ? ` First bad entry in [${r.range.from}, ${r.range.to}).`
          : '') +
      ` ${key}`,
    entries: null,
    entries_after_checkpoint: after,
    failure: { code: r.code, first_bad_index: at },
    checkpoint,
    verifier_key: input.verifierKey,
  };
}
