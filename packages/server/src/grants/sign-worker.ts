/**
 * The worker-thread half of WorkerSigner (worker-signer.ts): signs each batch it is posted and
 * answers with one message. Holds the private keys it was sent, by kid, for its lifetime.
 */
import { parentPort } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { WORKER_READY, signBatch, type SignBatch } from './sign-batch.js';

const port = parentPort;
if (port === null) throw new Error('sign-worker.js runs in a worker thread');
const keys = new Map<string, KeyObject>();
port.on('message', (batch: SignBatch) => {
  const { reply, transfer } = signBatch(batch, keys);
  port.postMessage(reply, [transfer]);
});
port.postMessage(WORKER_READY);
