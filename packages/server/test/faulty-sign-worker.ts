/**
 * A signing worker that misbehaves on cue, for worker-signer.test.ts. A batch holding the input
 * `exit` makes it exit, `throw` makes it throw, `drop` makes it never answer (as if hung); any
 * other batch it signs like sign-worker.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { WORKER_READY, signBatch, type SignBatch } from '../src/grants/sign-batch.js';

const port = parentPort;
if (port === null) throw new Error('faulty-sign-worker.js runs in a worker thread');
const keys = new Map<string, KeyObject>();
port.on('message', (batch: SignBatch) => {
  const inputs = batch.ends.map((end, i) =>
    Buffer.from(batch.inputs.subarray(i === 0 ? 0 : batch.ends[i - 1], end)).toString(),
  );
  if (inputs.includes('exit')) process.exit(3);
  if (inputs.includes('throw')) throw new Error('injected crash');
  if (inputs.includes('drop')) return;
  const { reply, transfer } = signBatch(batch, keys);
  port.postMessage(reply, [transfer]);
});
port.postMessage(WORKER_READY);
