import { createHash } from 'node:crypto';
import { AuditError } from './audit-error.js';
import { judgeAddCheckpoint } from './judge-add-checkpoint.js';
import { parseNoteVerifierKey } from './note-keys.js';
import type { NoteSigner, NoteVerifier } from './note-keys.js';
import { signNote } from './signed-note.js';
import { decodeBase64Strict, encodeBase64 } from './strict-base64.js';

/** One log as the witness last cosigned it; `note` carries the log's and our signatures. */
export interface WitnessLogRecord {
  readonly size: number;
  /** base64 */
  readonly root_hash: string;
  readonly note: string;
}

/** Everything a witness must keep: per log origin, the latest checkpoint it cosigned. */
export interface WitnessState {
  readonly version: 1;
  readonly logs: Readonly<Record<string, WitnessLogRecord>>;
}

/**
 * Where a witness keeps its state. `save` must be durable before it resolves: tlog-witness
 * "add-checkpoint" says "The witness MUST persist the new checkpoint before responding".
 */
export interface WitnessStore {
  save(state: WitnessState): Promise<void>;
}

/** An HTTP answer, protocol-shaped (tlog-witness bodies are text, not problem+json). */
export interface WitnessResponse {
  /** tlog-witness "add-checkpoint" statuses, 405 for a wrong method, 500 when persisting fails. */
  readonly status: 200 | 400 | 403 | 404 | 405 | 409 | 422 | 500;
  readonly contentType: string;
  readonly body: string;
}

export const EMPTY_WITNESS_STATE: WitnessState = { version: 1, logs: {} };

/**
 * A tlog-witness: cosigns a log's checkpoint only if it is signed by that log's key and
 * consistent with the last one it cosigned, so a log can never show it two different trees
 * (fork) or an older tree (rollback). Requests are handled one at a time, state checked,
 * persisted and only then answered: the spec's "checking the old size ... and persisting the
 * new checkpoint must be performed atomically".
 */
export class Witness {
  readonly #signer: NoteSigner;
  readonly #logs: ReadonlyMap<string, readonly NoteVerifier[]>;
  readonly #store: WitnessStore;
  #state: WitnessState;
  #turn: Promise<unknown> = Promise.resolve();

  constructor(options: {
    /** From `parseCosignerKey`. */
    signer: NoteSigner;
    /** The logs' verifier keys; each log's origin is its key's name. */
    logKeys: readonly string[];
    store: WitnessStore;
    state?: WitnessState;
  }) {
    if (options.logKeys.length === 0) {
      throw new AuditError('note_key_invalid', 'a witness needs at least one log key');
    }
    const logs = new Map<string, NoteVerifier[]>();
    for (const key of options.logKeys) {
      const verifier = parseNoteVerifierKey(key);
      logs.set(verifier.name, [...(logs.get(verifier.name) ?? []), verifier]);
    }
    this.#signer = options.signer;
    this.#logs = logs;
    this.#store = options.store;
    this.#state = options.state ?? EMPTY_WITNESS_STATE;
  }

  get verifierKey(): string {
    return this.#signer.verifierKey;
  }

  get state(): WitnessState {
    return this.#state;
  }

  /** `POST <prefix>/add-checkpoint` (tlog-witness "add-checkpoint"). */
  addCheckpoint(body: string | Uint8Array): Promise<WitnessResponse> {
    const run = this.#turn.then(() => this.#addCheckpoint(body));
    this.#turn = run.catch(() => undefined);
    return run;
  }

  async #addCheckpoint(body: string | Uint8Array): Promise<WitnessResponse> {
    const verdict = judgeAddCheckpoint(body, this.#logs, (origin) => {
      const record = this.#state.logs[origin];
      return record && { size: record.size, rootHash: decodeBase64Strict(record.root_hash)! };
    });
    if (verdict.status === 409) {
      // "The response body MUST consist of the tree size ... followed by a newline", typed
      // text/x.tlog.size.
      return { status: 409, contentType: 'text/x.tlog.size', body: `${verdict.size}\n` };
    }
    if (verdict.status !== 200) {
      return { status: verdict.status, contentType: TEXT, body: `${verdict.reason}\n` };
    }
    const { checkpoint, text, logSignatures } = verdict;
    const ours = signNote(text, this.#signer).slice(text.length + 1);
    const logLines = logSignatures.map((s) => `\u2014 ${s.name} ${s.signature}\n`).join('');
    const record: WitnessLogRecord = {
      size: checkpoint.size,
      root_hash: encodeBase64(checkpoint.rootHash),
      note: `${text}\n${logLines}${ours}`,
    };
    const next: WitnessState = {
      version: 1,
      logs: { ...this.#state.logs, [checkpoint.origin]: record },
    };
    try {
      await this.#store.save(next);
    } catch {
      return { status: 500, contentType: TEXT, body: 'could not persist the checkpoint\n' };
    }
    this.#state = next;
    return { status: 200, contentType: TEXT, body: ours };
  }

  /**
   * `GET <prefix>/<origin hash>/checkpoint` (tlog-witness "Monitor Retrieval Mechanism"): the
   * latest cosigned checkpoint of the log whose origin hashes (SHA-256, lowercase hex) to
   * `originHash`, with the log's and the witness's signatures; 404 if never cosigned.
   */
  checkpoint(originHash: string): WitnessResponse {
    for (const [origin, record] of Object.entries(this.#state.logs)) {
      if (createHash('sha256').update(origin, 'utf8').digest('hex') === originHash) {
        return { status: 200, contentType: TEXT, body: record.note };
      }
    }
    return { status: 404, contentType: TEXT, body: 'no checkpoint cosigned for that log\n' };
  }
}

const TEXT = 'text/plain; charset=utf-8';

/** Reads a state file's JSON, refusing anything that is not a witness state. */
export function parseWitnessState(json: string): WitnessState {
  const bad = () => new AuditError('checkpoint_malformed', 'not a witness state file');
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw bad();
  }
  const state = raw as WitnessState;
  if (typeof state !== 'object' || state === null || state.version !== 1) throw bad();
  if (typeof state.logs !== 'object' || state.logs === null) throw bad();
  for (const record of Object.values(state.logs)) {
    const root = decodeBase64Strict(String(record?.root_hash));
    if (!Number.isSafeInteger(record?.size) || root?.length !== 32) throw bad();
    if (typeof record.note !== 'string') throw bad();
  }
  return state;
}
