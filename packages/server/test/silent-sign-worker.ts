/** A signing worker that starts but never says it is ready, for grant-signer.test.ts. */
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => undefined);
