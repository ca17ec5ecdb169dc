import {
  cosignatureTime,
  formatAddCheckpointBody,
  formatKeyId,
  isAuditError,
  openNote,
  parseCosignerVerifierKey,
  type NoteVerifier,
} from '@countersign/core';
import type { WitnessConfig } from '../config/load-config.js';
import type { CosignatureRepository } from '../storage/cosignature-repository.js';
import type { StoredCheckpoint } from '../storage/audit-repository.js';

/** How long one add-checkpoint request may take before it counts as a failure. */
export const WITNESS_TIMEOUT_MS = 10_000;
/** After a failure, the next try waits this long, doubling per failure up to the maximum. */
export const WITNESS_RETRY_MS = 5_000;
export const WITNESS_RETRY_MAX_MS = 5 * 60_000;
/** The largest cosignature response read (a few signature lines). */
const MAX_RESPONSE_BYTES = 64 * 1024;

export type SubmissionOutcome = 'cosigned' | 'conflict' | 'refused' | 'failed';

/** The log as the submitter needs it: its latest checkpoint and consistency proofs. */
export interface SubmittedLog {
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  consistency(from: number, to: number): Promise<{ proof: string[] }>;
}

interface WitnessTarget {
  readonly config: WitnessConfig;
  readonly verifier: NoteVerifier;
  /** `<name>+<key ID>`: the row key in audit_cosignatures. */
  readonly id: string;
  /** The size the witness last cosigned, as far as we know (undefined: never). */
  size: number | undefined;
  /** The largest size whose cosignature by this witness we hold. */
  cosigned: number | undefined;
  failures: number;
  retryAt: number;
}

/**
 * Asks each configured witness to cosign the log's latest checkpoint (C2SP tlog-witness
 * "add-checkpoint"): `old <size it last cosigned>`, the consistency proof from there, the
 * signed checkpoint. A 409 gives the witness's size and is retried at once from it; any other
 * failure waits WITNESS_RETRY_MS (doubling, on the injected clock) before the next try. The
 * returned cosignature is verified against the witness's configured key before it is stored.
 *
 * Never in the log's way: `kick()` starts a round in the background and returns; a round
 * never throws; every outcome is counted (`onOutcome`) and failures are logged.
 */
export class WitnessSubmitter {
  readonly #targets: WitnessTarget[];
  #round: Promise<void> | undefined;
  #loaded = false;
  readonly #abort = new AbortController();

  constructor(
    witnesses: readonly WitnessConfig[],
    private readonly log: SubmittedLog,
    private readonly repo: CosignatureRepository,
    private readonly options: {
      now: () => number;
      onOutcome: (witness: string, outcome: SubmissionOutcome, detail: string) => void;
      fetch?: typeof fetch;
      timeoutMs?: number;
    },
  ) {
    this.#targets = witnesses.map((config) => {
      const verifier = parseCosignerVerifierKey(config.vkey);
      return {
        config,
        verifier,
        id: `${verifier.name}+${formatKeyId(verifier.keyId)}`,
        size: undefined,
        cosigned: undefined,
        failures: 0,
        retryAt: 0,
      };
    });
  }

  /** The witnesses' key IDs (`<name>+<id>`), for choosing which cosignatures to serve. */
  get witnessIds(): string[] {
    return this.#targets.map((t) => t.id);
  }

  /** Starts a round unless one is running (the housekeeping loop calls it every tick). */
  kick(): void {
    if (this.#targets.length > 0) void this.submit();
  }

  /** One round: every witness that has not cosigned the latest checkpoint and is due. */
  submit(): Promise<void> {
    this.#round ??= this.#submitAll().finally(() => (this.#round = undefined));
    return this.#round;
  }

  /** Aborts requests in flight and waits for the round to end. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#round;
  }

  async #submitAll(): Promise<void> {
    try {
      const checkpoint = await this.log.latestCheckpoint();
      if (checkpoint === undefined) return;
      if (!this.#loaded) {
        const sizes = await this.repo.latestSizes();
        for (const t of this.#targets) {
          t.cosigned = sizes.get(t.id);
          t.size ??= t.cosigned;
        }
        this.#loaded = true;
      }
      await Promise.all(this.#targets.map((t) => this.#submitTo(t, checkpoint)));
    } catch (e) {
      // The store failed: every witness waits for the next round.
      for (const t of this.#targets) this.#outcome(t, 'failed', `${(e as Error).message}`);
    }
  }

  async #submitTo(target: WitnessTarget, checkpoint: StoredCheckpoint): Promise<void> {
    if (target.cosigned === checkpoint.size || this.options.now() < target.retryAt) return;
    let old = target.size ?? 0;
    // At most one retry: a second 409 in a row means the witness moves under us; wait.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (old > checkpoint.size) {
        // The witness cosigned a larger tree of ours than we have: a restored backup, or a
        // fork. Nothing we can prove to it; an operator must look.
        return this.#outcome(
          target,
          'refused',
          `the witness has cosigned size ${old}, beyond our latest checkpoint ${checkpoint.size}`,
        );
      }
      const proof =
        old === 0 || old === checkpoint.size
          ? []
          : (await this.log.consistency(old, checkpoint.size)).proof.map(unb64);
      const answer = await this.#post(target, formatAddCheckpointBody(old, proof, checkpoint.note));
      if (typeof answer === 'string') return this.#outcome(target, 'failed', answer);
      if (answer.status === 409) {
        const size = parseTlogSize(answer);
        if (size === undefined) {
          return this.#outcome(target, 'failed', 'a 409 without a text/x.tlog.size body');
        }
        this.options.onOutcome(target.config.name, 'conflict', `the witness is at size ${size}`);
        // Ask again from the witness's size (with no proof if it already has ours).
        target.size = size;
        old = size;
        continue;
      }
      if (answer.status !== 200) {
        const outcome = answer.status >= 400 && answer.status < 500 ? 'refused' : 'failed';
        const reason = answer.body.slice(0, 200).trim();
        return this.#outcome(target, outcome, `HTTP ${answer.status}: ${reason}`);
      }
      const line = this.#verifiedLine(target, checkpoint.note, answer.body);
      if (line === undefined) {
        return this.#outcome(target, 'failed', 'the response is not a valid cosignature');
      }
      await this.repo.insert({
        witness: target.id,
        size: checkpoint.size,
        line,
        created_at: this.options.now(),
      });
      target.size = checkpoint.size;
      target.cosigned = checkpoint.size;
      target.failures = 0;
      target.retryAt = 0;
      this.options.onOutcome(target.config.name, 'cosigned', `size ${checkpoint.size}`);
      return;
    }
    this.#outcome(target, 'failed', 'the witness answered 409 twice');
  }

  /**
   * The witness's own signature line from a 200 body, verified on the checkpoint: "the client
   * MAY concatenate it to the checkpoint, and use a note verification function configured with
   * the witness keys it trusts" (tlog-witness "add-checkpoint"). Lines by other keys are
   * ignored ("The client MUST ignore any cosignatures from unknown keys").
   */
  #verifiedLine(target: WitnessTarget, note: string, body: string): string | undefined {
    if (body === '' || !body.endsWith('\n')) return undefined;
    const lines = body.slice(0, -1).split('\n');
    if (!lines.every((l) => l.startsWith('\u2014 '))) return undefined;
    try {
      const opened = openNote(`${note}${body}`, [target.verifier]);
      // openNote returns at least one verified signature, and only the witness's key is known.
      const own = opened.signatures[0];
      // "The cosignature MUST NOT omit the timestamp, i.e. the timestamp MUST NOT be zero."
      if (!cosignatureTime(own.signature)) return undefined;
      return `\u2014 ${own.name} ${own.signature}\n`;
    } catch (e) {
      if (isAuditError(e)) return undefined;
      throw e;
    }
  }

  async #post(
    target: WitnessTarget,
    body: string,
  ): Promise<{ status: number; contentType: string; body: string } | string> {
    const doFetch = this.options.fetch ?? fetch;
    const signal = AbortSignal.any([
      this.#abort.signal,
      AbortSignal.timeout(this.options.timeoutMs ?? WITNESS_TIMEOUT_MS),
    ]);
    try {
      const res = await doFetch(`${target.config.url}/add-checkpoint`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body,
        signal,
        redirect: 'error',
      });
      const text = await readAtMost(res, MAX_RESPONSE_BYTES);
      if (text === undefined) return 'the response is too large';
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: text };
    } catch (e) {
      return `unreachable: ${(e as Error).message}`;
    }
  }

  #outcome(target: WitnessTarget, outcome: SubmissionOutcome, detail: string): void {
    target.failures += 1;
    const backoff = Math.min(
      WITNESS_RETRY_MS * 2 ** Math.min(target.failures - 1, 16),
      WITNESS_RETRY_MAX_MS,
    );
    target.retryAt = this.options.now() + backoff;
    this.options.onOutcome(target.config.name, outcome, detail);
  }
}

/** tlog-witness: the 409 body is the size in decimal and a newline, as text/x.tlog.size. */
function parseTlogSize(answer: { contentType: string; body: string }): number | undefined {
  if (answer.contentType.split(';')[0].trim().toLowerCase() !== 'text/x.tlog.size') {
    return undefined;
  }
  const match = /^(0|[1-9][0-9]{0,15})\n$/.exec(answer.body);
  const size = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(size) ? size : undefined;
}

function unb64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/**
 * The body as UTF-8, or undefined past `max` bytes: read as it arrives and cancelled there, so
 * a witness that answers without end holds no more than `max` of the gateway's memory.
 */
async function readAtMost(res: Response, max: number): Promise<string | undefined> {
  if (res.body === null) return '';
  // Node's fetch types its body stream loosely; its chunks are bytes.
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString('utf8');
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}
