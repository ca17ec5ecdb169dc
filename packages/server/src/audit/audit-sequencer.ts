import { setTimeout as sleep } from 'node:timers/promises';

/** What one sequencing attempt did: how many entries it indexed, or 'busy' (another leads). */
export type SequencerStep = () => Promise<number | 'busy'>;

export interface SequencerOptions {
  /**
   * The safety poll: evidence queued by a process that did not sequence it (a CLI command, a
   * replica that crashed after its commit) waits at most this long. Default 1 s.
   */
  pollMs?: number;
  onError?: (e: unknown) => void;
}

/** Queued rows indexed per sequencing transaction, at most. */
export const SEQUENCE_BATCH = 500;
/**
 * The pause after a batch that was not full, so that under load a batch collects what
 * several commits queued: each batch costs ~10 round trips whatever its size (Trillian's
 * signer and Tessera's sequencer run on an interval for the same reason). It is also about
 * how long an entry waits for its index; readers that cannot wait call `AuditLog.sync()`.
 */
const INTERVAL_MS = 25;
/** The pause between attempts while evidence may still be committing or another replica leads. */
export const SEQUENCER_RETRY_MS = 10;
/** The longest such pause: the retries back off from SEQUENCER_RETRY_MS while nothing comes. */
const MAX_RETRY_MS = 200;
/**
 * The pause while another replica leads: it keeps draining while it finds work, so this only
 * bounds how late an entry it just missed is picked up, and keeps the other replicas from
 * spending a transaction per few milliseconds on a lock they will not get.
 */
const BUSY_RETRY_MS = 100;
/**
 * How long after this process queued evidence it keeps looking for it: the queueing
 * transaction commits after `queued()` is called (a group-committed batch, a slow store),
 * and the leader of the moment may have read the queue just before that commit.
 */
const SETTLE_MS = 2_000;

/**
 * Drives sequencing in one process (docs/audit.md "Sequencing"): after this process queues
 * evidence, until it has seen the queue empty for a while, and on a slow safety poll. Every
 * replica runs one; the advisory lock taken per batch (storage/audit-repository.ts
 * `sequenceBatch`) makes one of them the leader of each batch, and any other takes over when
 * it stops. At most one attempt runs at a time in a process.
 */
export class AuditSequencer {
  #running: Promise<void> | undefined;
  #again = false;
  #closed = true;
  #poll: NodeJS.Timeout | undefined;
  #lastQueuedAt = Number.NEGATIVE_INFINITY;
  #onError: (e: unknown) => void = () => undefined;

  constructor(private readonly step: SequencerStep) {}

  start(options: SequencerOptions = {}): void {
    if (!this.#closed) return;
    this.#closed = false;
    this.#onError = options.onError ?? (() => undefined);
    this.#poll = setInterval(() => this.kick(), options.pollMs ?? 1_000);
    this.#poll.unref();
    // Whatever an earlier run or another process left queued.
    this.kick();
  }

  /** This process queued evidence (in a transaction that commits soon): sequence it. */
  queued(): void {
    this.#lastQueuedAt = performance.now();
    this.kick();
  }

  kick(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    });
  }

  async stop(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    await this.#running;
  }

  async #drain(): Promise<void> {
    let pause = SEQUENCER_RETRY_MS;
    while (!this.#closed) {
      let done: number | 'busy';
      try {
        done = await this.step();
      } catch (e) {
        // The poll tries again; a reader's sync() does not depend on this loop.
        this.#onError(e);
        return;
      }
      if (done !== 'busy' && done > 0) {
        pause = SEQUENCER_RETRY_MS;
        if (done < SEQUENCE_BATCH) await sleep(INTERVAL_MS);
        continue;
      }
      const sinceQueued = performance.now() - this.#lastQueuedAt;
      if (sinceQueued > SETTLE_MS) return;
      // Fresh evidence is looked for at once; a quiet queue ever less often.
      if (sinceQueued < pause) pause = SEQUENCER_RETRY_MS;
      await sleep(done === 'busy' ? Math.max(pause, BUSY_RETRY_MS) : pause);
      pause = Math.min(pause * 2, MAX_RETRY_MS);
    }
  }
}
