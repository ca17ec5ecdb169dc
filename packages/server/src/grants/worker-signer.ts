import { sign, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Ed25519Signer } from './ed25519-signer.js';
import { SIGNATURE_LENGTH, WORKER_READY, type SignBatch, type SignedBatch } from './sign-batch.js';

export interface WorkerSignerOptions {
  /** The worker module (default: sign-worker.js beside this file); tests substitute a faulty one. */
  workerUrl?: URL;
  /**
   * Fewest requests in a turn worth a message (default 2). A round trip costs the event loop
   * about what one signature does (~30 µs against ~37 µs here), so a lone request is signed
   * in-thread, sooner; from two on, the worker saves CPU on the event loop.
   */
  minBatch?: number;
  /** Most requests per message (default 256): a bigger turn is split so answers start sooner. */
  maxBatch?: number;
  /**
   * A worker not ready this long after its start, or holding requests this long without an
   * answer (default 5 s), is presumed hung and replaced.
   */
  timeoutMs?: number;
  /** Consecutive worker failures (default 3) after which this signer stays in-thread. */
  maxFailures?: number;
  /** Told of each worker failure (default: a process warning); must not throw. */
  onFailure?: (error: Error, next: 'respawn' | 'in-thread') => void;
}

/** Counters for tests and diagnostics. */
export interface WorkerSignerStats {
  spawned: number;
  /** Messages posted to a worker. */
  batches: number;
  signedInWorker: number;
  signedInThread: number;
  failures: number;
}

interface Job {
  seq: number;
  kid: string;
  key: KeyObject;
  input: Buffer;
  resolve: (signature: Buffer) => void;
  reject: (e: unknown) => void;
}

const warn = (error: Error, next: 'respawn' | 'in-thread') =>
  process.emitWarning(
    `grant signing worker failed (${error.message}); signing in-thread ${next === 'respawn' ? 'until a new worker is up' : 'from now on'}`,
    { code: 'COUNTERSIGN_SIGNING_WORKER' },
  );

/**
 * Signs on a worker thread, so the ~40 µs of CPU an Ed25519 signature costs leaves the
 * gateway's event loop under load. Requests made in one event-loop turn go to the worker in one
 * message and come back in one (a lone request is signed in-thread: see `minBatch`); each
 * private key crosses once per kid, and the worker caches it.
 *
 * Fails safe: a worker that errors, exits, sends what cannot be read or hangs is dropped, the requests it
 * held are signed in-thread (never lost, never failed because of the worker), and the next turn
 * starts a new one; after `maxFailures` failures in a row it signs in-thread for good. Until a
 * worker is online (at first use, after a failure) requests are signed in-thread too, so a
 * start never waits for a thread. After close() it signs in-thread.
 *
 * The worker is unref'd while idle, so it never keeps the process alive, and ref'd while it
 * holds requests, so the process cannot exit with a signature owed.
 */
export class WorkerSigner implements Ed25519Signer {
  readonly #url: URL;
  readonly #minBatch: number;
  readonly #maxBatch: number;
  readonly #timeoutMs: number;
  readonly #maxFailures: number;
  readonly #onFailure: (error: Error, next: 'respawn' | 'in-thread') => void;
  #queue: Job[] = [];
  #scheduled = false;
  #seq = 0;
  #worker: Worker | undefined;
  /** Whether the current worker said it is ready, and a promise of whether it will be. */
  #online = false;
  #up: Promise<boolean> = Promise.resolve(false);
  #settleUp: (up: boolean) => void = () => undefined;
  /** The key object the current worker holds for each kid. */
  readonly #sent = new Map<string, KeyObject>();
  /** Requests the current worker holds, by seq. */
  readonly #pending = new Map<number, Job>();
  #watchdog: NodeJS.Timeout | undefined;
  #failuresInARow = 0;
  #inThreadForGood = false;
  #closed = false;
  readonly #stats: WorkerSignerStats = {
    spawned: 0,
    batches: 0,
    signedInWorker: 0,
    signedInThread: 0,
    failures: 0,
  };

  constructor(options: WorkerSignerOptions = {}) {
    this.#url = options.workerUrl ?? new URL('./sign-worker.js', import.meta.url);
    this.#minBatch = options.minBatch ?? 2;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#maxFailures = options.maxFailures ?? 3;
    this.#onFailure = options.onFailure ?? warn;
  }

  get stats(): Readonly<WorkerSignerStats> {
    return { ...this.#stats };
  }

  /** The current worker, if any: for tests (to kill it) and diagnostics. */
  get worker(): Worker | undefined {
    return this.#worker;
  }

  sign(kid: string, privateKey: KeyObject, input: Buffer): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.#queue.push({ seq: this.#seq++, kid, key: privateKey, input, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // As in group-commit.ts: by setImmediate, every request of this turn has been queued.
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Starts a worker if none runs; true once it takes requests, false if signing in-thread. */
  async ready(): Promise<boolean> {
    this.#usableWorker();
    const worker = this.#worker;
    if (worker === undefined) return false;
    if (!this.#online) {
      // Whoever awaits this is owed an answer: keep the process alive until the worker is up.
      worker.ref();
      const up = await this.#up;
      if (up && this.#pending.size === 0) worker.unref();
    }
    return this.#worker === worker && this.#online;
  }

  /** Ends the worker; requests it still held are signed in-thread, as are all later ones. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#drop(worker);
    await worker.terminate();
  }

  #flush(): void {
    this.#scheduled = false;
    const jobs = this.#queue;
    this.#queue = [];
    const worker = jobs.length >= this.#minBatch ? this.#usableWorker() : undefined;
    for (let i = 0; i < jobs.length; i += this.#maxBatch) {
      const batch = jobs.slice(i, i + this.#maxBatch);
      // Re-checked per batch: posting the previous one may have lost the worker.
      if (worker !== undefined && worker === this.#worker) this.#post(worker, batch);
      else for (const job of batch) this.#signHere(job);
    }
  }

  /** The worker if it is online; starts one if none runs and the signer may. */
  #usableWorker(): Worker | undefined {
    if (this.#closed || this.#inThreadForGood) return undefined;
    if (this.#worker === undefined) this.#spawn();
    return this.#online ? this.#worker : undefined;
  }

  #spawn(): void {
    let worker: Worker;
    try {
      // No inherited node flags: the worker runs one compiled module and needs none, and some
      // (--input-type, say) would stop it from starting.
      worker = new Worker(this.#url, { execArgv: [] });
    } catch (e) {
      this.#failed(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.#stats.spawned++;
    this.#worker = worker;
    this.#online = false;
    this.#up = new Promise((resolve) => (this.#settleUp = resolve));
    const starting = setTimeout(
      () => this.#lost(worker, new Error(`not ready in ${this.#timeoutMs} ms`)),
      this.#timeoutMs,
    ).unref();
    // Not the 'online' event: that comes before the module has loaded, or failed to.
    worker.on('message', (message: SignedBatch | typeof WORKER_READY) => {
      // A late answer from a worker already given up on: its requests were signed in-thread.
      if (worker !== this.#worker) return;
      if (message !== WORKER_READY) return this.#answered(worker, message);
      clearTimeout(starting);
      this.#online = true;
      this.#settleUp(true);
    });
    worker.on('error', (e) => this.#lost(worker, e));
    worker.on('messageerror', (e) => this.#lost(worker, e));
    worker.once('exit', (code) => {
      clearTimeout(starting);
      this.#lost(worker, new Error(`it exited with code ${code}`));
    });
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
  }

  #post(worker: Worker, jobs: Job[]): void {
    const batch: SignBatch = { keys: [], seqs: [], kids: [], ends: [], inputs: new Uint8Array() };
    const keyOf = new Map<string, KeyObject>();
    const posted: Job[] = [];
    let length = 0;
    for (const job of jobs) {
      const key = keyOf.get(job.kid);
      // One kid, two key objects in one turn (a caller's bug: kids are thumbprints): the worker
      // caches one key per kid, so the odd one out is signed here, with exactly its own key.
      if (key !== undefined && key !== job.key) {
        this.#signHere(job);
        continue;
      }
      if (key === undefined) {
        keyOf.set(job.kid, job.key);
        if (this.#sent.get(job.kid) !== job.key) batch.keys.push({ kid: job.kid, key: job.key });
      }
      batch.seqs.push(job.seq);
      batch.kids.push(job.kid);
      length += job.input.length;
      batch.ends.push(length);
      posted.push(job);
    }
    if (posted.length === 0) return;
    // A buffer of its own, to transfer: see SignBatch.inputs.
    const inputs = new ArrayBuffer(length);
    batch.inputs = new Uint8Array(inputs);
    posted.forEach((job, i) => batch.inputs.set(job.input, i === 0 ? 0 : batch.ends[i - 1]));
    if (this.#pending.size === 0) worker.ref();
    for (const job of posted) this.#pending.set(job.seq, job);
    for (const { kid, key } of batch.keys) this.#sent.set(kid, key);
    if (this.#watchdog === undefined) {
      this.#watchdog = setTimeout(
        () => this.#lost(worker, new Error(`no answer in ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
      this.#watchdog.unref();
    }
    try {
      worker.postMessage(batch, [inputs]);
    } catch (e) {
      this.#lost(worker, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.#stats.batches++;
  }

  #answered(worker: Worker, signed: SignedBatch): void {
    this.#failuresInARow = 0;
    const failed = new Set(signed.failed);
    signed.seqs.forEach((seq, i) => {
      const job = this.#pending.get(seq);
      if (job === undefined) return;
      this.#pending.delete(seq);
      if (failed.has(seq)) {
        // Signed again here, so the caller gets crypto's own error (or a signature).
        this.#signHere(job);
        return;
      }
      this.#stats.signedInWorker++;
      const offset = signed.signatures.byteOffset + i * SIGNATURE_LENGTH;
      job.resolve(Buffer.from(signed.signatures.buffer, offset, SIGNATURE_LENGTH));
    });
    if (this.#pending.size > 0) {
      this.#watchdog?.refresh();
      return;
    }
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    worker.unref();
  }

  /** The worker errored, exited, sent what cannot be read, or hung: replace it. */
  #lost(worker: Worker, error: Error): void {
    if (worker !== this.#worker) return;
    this.#drop(worker);
    void worker.terminate();
    this.#failed(error);
  }

  /** Forgets the worker and signs in-thread what it held. */
  #drop(worker: Worker): void {
    this.#worker = undefined;
    this.#online = false;
    this.#settleUp(false);
    this.#sent.clear();
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    worker.unref();
    const held = [...this.#pending.values()];
    this.#pending.clear();
    for (const job of held) this.#signHere(job);
  }

  #failed(error: Error): void {
    this.#stats.failures++;
    this.#failuresInARow++;
    if (this.#failuresInARow >= this.#maxFailures) this.#inThreadForGood = true;
    this.#onFailure(error, this.#inThreadForGood ? 'in-thread' : 'respawn');
  }

  #signHere(job: Job): void {
    this.#stats.signedInThread++;
    try {
      job.resolve(sign(null, job.input, job.key));
    } catch (e) {
      job.reject(e);
    }
  }
}
