/**
 * Why a log failed verification. Stable codes (tests and the SOC 2 report match on them); the
 * `reason` is for humans. Grouped by the step of `verifyLog` that fails:
 *
 * - the trust anchor: `key_invalid`;
 * - the signed checkpoints: `checkpoint_malformed`, `checkpoint_signature_invalid`,
 *   `checkpoint_unverified`, `origin_mismatch`, `checkpoint_not_older`;
 * - one entry: `entry_malformed`, `entry_not_canonical`, `entry_out_of_order`, `prev_mismatch`;
 * - the whole list: `entries_missing`, `entries_extra`, `root_mismatch`, `entries_unreadable`;
 * - two signed views of the log that cannot both be true: `fork`;
 * - witnesses (`verifyWitnessQuorum`, docs/witness.md): `cosignature_invalid` (a given
 *   witness's cosignature line does not verify: forged), `witness_quorum_not_met`.
 */
export type VerifyLogFailureCode =
  | 'key_invalid'
  | 'checkpoint_malformed'
  | 'checkpoint_signature_invalid'
  | 'checkpoint_unverified'
  | 'origin_mismatch'
  | 'checkpoint_not_older'
  | 'entry_malformed'
  | 'entry_not_canonical'
  | 'entry_out_of_order'
  | 'prev_mismatch'
  | 'entries_missing'
  | 'entries_extra'
  | 'root_mismatch'
  | 'entries_unreadable'
  | 'fork'
  | 'cosignature_invalid'
  | 'witness_quorum_not_met';

/** Every entry checked out against a checkpoint signed by a trusted key. */
export interface VerifyLogSuccess {
  readonly ok: true;
  /** Entries read and verified (equals `checkpoint_size`). */
  readonly size: number;
  /** The recomputed root, base64 (the same as the checkpoint's). */
  readonly root_hash: string;
  /** The log's name, from the checkpoint (also the name of the key that signed it). */
  readonly origin: string;
  readonly checkpoint_size: number;
  /** Older signed checkpoints (from the export) that the entries also matched. */
  readonly checkpoints_checked: number;
  /** Present when an older checkpoint (`--since`) was given: the log only grew since then. */
  readonly since?: { readonly size: number; readonly consistent: true };
  /** Present when a witness quorum was required: the witnesses whose cosignature verified. */
  readonly witnesses?: { readonly quorum: number; readonly cosigned_by: readonly string[] };
}

/**
 * The log does not check out. `first_bad_index` is set when the evidence proves which entry is
 * the first one that is not what the log committed to (every entry before it is intact);
 * otherwise `range` bounds it: the first bad entry is in `[from, to)`.
 */
export interface VerifyLogFailure {
  readonly ok: false;
  readonly code: VerifyLogFailureCode;
  readonly reason: string;
  readonly first_bad_index?: number;
  readonly range?: { readonly from: number; readonly to: number };
}

export type VerifyLogResult = VerifyLogSuccess | VerifyLogFailure;
