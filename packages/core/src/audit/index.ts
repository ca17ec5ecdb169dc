/**
 * The audit log math: RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verification,
 * and C2SP signed notes and checkpoints. Pure functions and an in-memory tree; storage is the
 * server's business, behind `TreeHashSource`. See docs/audit.md.
 * @module
 */
export { AuditError, isAuditError } from './audit-error.js';
export type { AuditErrorCode } from './audit-error.js';
export { HASH_SIZE, emptyRoot, leafHash, nodeHash } from './merkle-hash.js';
export {
  consistencyProofPlan,
  flattenPlan,
  foldPlan,
  foldSubtrees,
  inclusionProofPlan,
  rootPlan,
} from './merkle-tree-math.js';
export type { ProofPlan, SubtreeRef } from './merkle-tree-math.js';
export type { TreeHashSource } from './tree-hash-source.js';
export { consistencyProof, inclusionProof, treeRoot } from './merkle-proofs.js';
export { MemoryMerkleTree } from './memory-merkle-tree.js';
export {
  EMPTY_FRONTIER,
  appendToFrontier,
  frontierFromSource,
  rootFromFrontier,
} from './merkle-frontier.js';
export type { CompletedSubtree, MerkleFrontier } from './merkle-frontier.js';
export { verifyInclusion } from './verify-inclusion.js';
export { verifyConsistency } from './verify-consistency.js';
export { MAX_NOTE_BYTES, isValidKeyName } from './note-text.js';
export {
  formatKeyId,
  generateNoteKey,
  noteKeyId,
  parseNoteSignerKey,
  parseNoteVerifierKey,
} from './note-keys.js';
export type { NoteSigner, NoteVerifier } from './note-keys.js';
export { MAX_NOTE_SIGNATURES, openNote, signNote } from './signed-note.js';
export type { NoteSignature, OpenedNote } from './signed-note.js';
export { formatCheckpoint, openCheckpoint, parseCheckpoint } from './checkpoint.js';
export type { Checkpoint, CheckpointInput } from './checkpoint.js';
export {
  COSIGNATURE_V1,
  cosignatureTime,
  cosignedMessage,
  cosignerKeyId,
  generateCosignerKey,
  parseCosignerKey,
  parseCosignerVerifierKey,
} from './cosignature.js';
export {
  MAX_ADD_CHECKPOINT_BYTES,
  MAX_PROOF_LINES,
  formatAddCheckpointBody,
  parseAddCheckpointBody,
} from './add-checkpoint-body.js';
export type { AddCheckpointRequest } from './add-checkpoint-body.js';
export { judgeAddCheckpoint } from './judge-add-checkpoint.js';
export type {
  AddCheckpointAccepted,
  AddCheckpointRefused,
  AddCheckpointVerdict,
  WitnessedTree,
} from './judge-add-checkpoint.js';
export { EMPTY_WITNESS_STATE, Witness, parseWitnessState } from './witness.js';
export type { WitnessLogRecord, WitnessResponse, WitnessState, WitnessStore } from './witness.js';
export { verifyWitnessQuorum } from './verify-witness-quorum.js';
export type { WitnessQuorumInput, WitnessQuorumResult } from './verify-witness-quorum.js';
export { EXPORT_FILES } from './audit-entry.js';
export type { AuditEntry, AuditEventType } from './audit-entry.js';
export { verifyLog } from './verify-log.js';
export type { VerifyLogInput } from './verify-log.js';
export type {
  VerifyLogFailure,
  VerifyLogFailureCode,
  VerifyLogResult,
  VerifyLogSuccess,
} from './verify-log-result.js';
export type { EntryText } from './scan-entries.js';
export { MAX_ENTRY_BYTES, jsonlLines } from './jsonl-lines.js';
export { isCanonicalJson } from './is-canonical-json.js';
