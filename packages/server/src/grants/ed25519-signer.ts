import type { KeyObject } from 'node:crypto';

/**
 * Makes Ed25519 signatures (RFC 8032) for grants. A seam so the signature, the one costly step
 * of issuing a grant, can run off the main thread (worker-signer.ts) or on it
 * (in-thread-signer.ts).
 */
export interface Ed25519Signer {
  /**
   * Signs `input` with `privateKey`. `kid` names the key (its RFC 7638 thumbprint), so an
   * implementation may cache the key by it.
   */
  sign(kid: string, privateKey: KeyObject, input: Buffer): Promise<Buffer>;
  /** Releases what the signer holds (a thread). Signing afterwards still works, in-thread. */
  close(): Promise<void>;
}
