import { sign, type KeyObject } from 'node:crypto';

/** An Ed25519 signature is always 64 bytes (RFC 8032 §5.1.6). */
export const SIGNATURE_LENGTH = 64;

/** The worker's first message: its module is loaded and it listens for batches. */
export const WORKER_READY = 'ready';

/** What the main thread posts to the signing worker: every request of one event-loop turn. */
export interface SignBatch {
  /** Keys the worker does not hold yet: each is sent once per kid, then cached there. */
  keys: Array<{ kid: string; key: KeyObject }>;
  seqs: number[];
  kids: string[];
  /** Input i is bytes [ends[i - 1], ends[i]) (from 0 for the first) of `inputs`. */
  ends: number[];
  /**
   * All inputs in one buffer with its own ArrayBuffer, transferred rather than copied. A small
   * Buffer is usually a slice of Node's 8 KiB pool, and cloning it would copy the whole pool.
   */
  inputs: Uint8Array;
}

/** The worker's answer to one SignBatch. */
export interface SignedBatch {
  seqs: number[];
  /** Signature i is bytes [64i, 64i + 64); zeros for a failed seq. */
  signatures: Uint8Array;
  /** Seqs the worker could not sign (a kid it does not hold, a key crypto refuses). */
  failed: number[];
}

/**
 * Signs a batch with the keys the worker holds, adding the batch's new keys to them. `transfer`
 * is the signatures' buffer, to move rather than copy back.
 */
export function signBatch(
  batch: SignBatch,
  keys: Map<string, KeyObject>,
): { reply: SignedBatch; transfer: ArrayBuffer } {
  for (const { kid, key } of batch.keys) keys.set(kid, key);
  const transfer = new ArrayBuffer(batch.seqs.length * SIGNATURE_LENGTH);
  const signatures = new Uint8Array(transfer);
  const failed: number[] = [];
  batch.seqs.forEach((seq, i) => {
    const key = keys.get(batch.kids[i]);
    try {
      if (key === undefined) throw new Error(`no key for kid ${batch.kids[i]}`);
      const input = batch.inputs.subarray(i === 0 ? 0 : batch.ends[i - 1], batch.ends[i]);
      const signature = sign(null, input, key);
      if (signature.length !== SIGNATURE_LENGTH) throw new Error('not an Ed25519 signature');
      signatures.set(signature, i * SIGNATURE_LENGTH);
    } catch {
      // The main thread signs it again itself, so its caller sees crypto's own error.
      failed.push(seq);
    }
  });
  return { reply: { seqs: batch.seqs, signatures, failed }, transfer };
}
