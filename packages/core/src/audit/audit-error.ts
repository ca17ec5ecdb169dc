import { CountersignError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/**
 * The codes the audit log math can fail with. Verification failures split in two on purpose:
 * `*_malformed` means the input could never be a valid proof/note (wrong shape, wrong sizes,
 * bad encoding); `*_invalid`/`note_unverified` mean it is well-formed but does not check out.
 * `internal` is kept for a hash source (the database) that hands back something that is not
 * a 32-byte hash: that is our bug or corrupted storage, never the caller's fault.
 */
export type AuditErrorCode = Extract<
  ErrorCode,
  | 'proof_malformed'
  | 'inclusion_proof_invalid'
  | 'consistency_proof_invalid'
  | 'tree_size_out_of_range'
  | 'checkpoint_malformed'
  | 'note_malformed'
  | 'note_key_invalid'
  | 'note_signature_invalid'
  | 'note_unverified'
  | 'internal'
>;

/** Everything in `audit/` fails with this (sigstore-js style: one error type, typed codes). */
export class AuditError extends CountersignError {
  declare readonly code: AuditErrorCode;

  constructor(
    code: AuditErrorCode,
    message: string,
    extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(code, message, extra);
  }
}

export function isAuditError(e: unknown): e is AuditError {
  return e instanceof AuditError;
}
