import {
  createReadStream,
  createWriteStream,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import {
  CountersignError,
  EXPORT_FILES,
  jsonlLines,
  isCountersignError,
  parseCosignerVerifierKey,
  parseNoteVerifierKey,
  verifyLog,
  verifyWitnessQuorum,
  type VerifyLogInput,
  type VerifyLogResult,
} from '@countersign/core';
import { api, apiOptions, apiStream, type ApiOptions } from '../api-client.js';
import { EXIT } from '../cli-error.js';

/** `GET /v1/audit/checkpoint`, and each item of `GET /v1/audit/checkpoints`. */
interface CheckpointView {
  size: number;
  root_hash: string;
  note: string;
  verifier_key: string;
}

/** The API serves at most this many entries a call. */
const PAGE = 1000;
/** Older checkpoints fetched for an export or a URL check (the API's maximum). */
const HISTORY = 10_000;

type History = Array<NonNullable<VerifyLogInput['history']>[number]>;

interface ApiFlags {
  url?: string;
  token?: string;
}

/** `audit checkpoint`: the latest signed checkpoint, verbatim. */
export async function auditCheckpoint(options: ApiFlags) {
  const checkpoint = await api<CheckpointView>(apiOptions(options), 'GET', '/v1/audit/checkpoint');
  process.stdout.write(checkpoint.note);
}

/**
 * `audit export --out DIR`: the layout of `EXPORT_FILES` (core/audit/audit-entry.ts), pulled
 * through the API: entries up to the latest checkpoint, that checkpoint, the older ones, the
 * log's key. It checks what it wrote as it goes (with the gateway's own key: integrity only);
 * on a failure the files stay, as evidence, and the exit code is 1.
 */
export async function auditExport(options: ExportFlags) {
  if (options.format === 'ocsf') {
    if (options.cosigned !== undefined) return usage('--cosigned applies to the verifiable export');
    return auditExportOcsf(options);
  }
  const dir = options.out;
  if (dir === undefined) {
    process.stderr.write('countersign: --out <dir> is required (or --format ocsf)\n');
    return EXIT.usage;
  }
  if (options.from !== undefined || options.to !== undefined) {
    // The verifiable export is the whole log by design: a slice could not be checked.
    process.stderr.write('countersign: --from and --to apply to --format ocsf only\n');
    return EXIT.usage;
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    process.stderr.write(`countersign: ${dir} is not a directory\n`);
    return EXIT.usage;
  }
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!options.force) {
      process.stderr.write(`countersign: ${dir} is not empty (pass --force to overwrite)\n`);
      return EXIT.usage;
    }
    for (const name of Object.values(EXPORT_FILES)) {
      rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
  const server = apiOptions(options);
  // --cosigned N: up to the newest checkpoint N witnesses cosigned (docs/witness.md).
  const cosigned = options.cosigned === undefined ? undefined : parseQuorum(options.cosigned);
  if (cosigned === null) return usage('--cosigned takes a whole number of witnesses, 1 to 32');
  const checkpoint = await api<CheckpointView>(server, 'GET', checkpointPath(cosigned));
  const older = await olderCheckpoints(server, checkpoint.size);
  await mkdir(join(dir, EXPORT_FILES.checkpoints), { recursive: true });
  for (const c of older) {
    await writeFile(join(dir, EXPORT_FILES.checkpoints, `${c.size}.txt`), c.note);
  }
  // Entries go to a temporary name first: an interrupted export has no entries.jsonl.
  const partial = join(dir, `${EXPORT_FILES.entries}.partial`);
  const file = await open(partial, 'w');
  let result: VerifyLogResult;
  const pages = writing(apiEntries(server, checkpoint.size), (page) =>
    file.write(page.map((e) => `${e}\n`).join('')),
  );
  try {
    result = await verifyLog({
      entries: pages,
      checkpoint: checkpoint.note,
      verifierKeys: checkpoint.verifier_key,
      history: older.map((c) => ({ label: `checkpoints/${c.size}.txt`, note: c.note })),
      onProgress: progress('exported and verified'),
    });
    // A checkpoint that fails its own check stops verifyLog before the entries: still write
    // them, they are the evidence. (A no-op when verifyLog read them all.)
    for await (const _ of pages) void _;
  } finally {
    await file.close();
  }
  if (!result.ok && result.code === 'entries_unreadable') {
    process.stderr.write(`countersign: the export stopped, ${partial} is incomplete\n`);
    return printResult(result, false);
  }
  await rename(partial, join(dir, EXPORT_FILES.entries));
  await writeFile(join(dir, EXPORT_FILES.checkpoint), checkpoint.note);
  await writeFile(join(dir, EXPORT_FILES.key), `${checkpoint.verifier_key}\n`);
  process.stdout.write(
    `exported ${checkpoint.size} entries, ${older.length} older checkpoints to ${dir}\n`,
  );
  return printResult(result, false);
}

interface ExportFlags extends ApiFlags {
  out?: string;
  force?: boolean;
  format?: 'countersign' | 'ocsf';
  from?: string;
  to?: string;
  cosigned?: string;
}

/**
 * `audit export --format ocsf`: `GET /v1/audit/export` streamed to stdout or `--out FILE`, one
 * OCSF event per line (docs/ocsf.md). The gateway announces the range first; a stream that ends
 * short exits 1 and says where to resume, so a scheduled job never skips an entry silently.
 */
async function auditExportOcsf(options: ExportFlags): Promise<number> {
  const query = new URLSearchParams({ format: 'ocsf' });
  for (const name of ['from', 'to'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    if (!/^\d{1,15}$/.test(value)) {
      process.stderr.write(`countersign: --${name} must be an entry index (0, 1, …)\n`);
      return EXIT.usage;
    }
    query.set(name, value);
  }
  if (options.out !== undefined && existsSync(options.out) && !options.force) {
    process.stderr.write(`countersign: ${options.out} exists (pass --force to overwrite)\n`);
    return EXIT.usage;
  }
  const res = await apiStream(apiOptions(options), `/v1/audit/export?${query.toString()}`);
  const from = Number(res.headers.get('x-countersign-audit-from'));
  const to = Number(res.headers.get('x-countersign-audit-to'));
  const out = options.out === undefined ? process.stdout : createWriteStream(options.out);
  let lines = 0;
  try {
    await pipeline(
      Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          for (const byte of chunk) if (byte === 0x0a) lines++;
          yield chunk;
        }
      },
      out,
      { end: options.out !== undefined },
    );
  } catch (e) {
    // A reader that stops early (`| head`) is not an error.
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
    return EXIT.ok;
  }
  if (lines !== to - from) {
    process.stderr.write(
      `countersign: the stream ended after ${lines} of ${to - from} events; ` +
        `resume with --from ${from + lines}\n`,
    );
    return EXIT.failed;
  }
  if (options.out !== undefined) {
    process.stderr.write(`exported entries [${from}, ${to}) as OCSF events to ${options.out}\n`);
  }
  return EXIT.ok;
}

/**
 * `audit verify DIR|URL`: everything `verifyLog` checks, against an export directory or live
 * against the API. Exit 0 and a summary, or exit 1 and `FAIL at index N: reason`.
 */
export async function auditVerify(
  source: string,
  options: ApiFlags & {
    key?: string[];
    since?: string;
    json?: boolean;
    witness?: string[];
    witnessQuorum?: string;
  },
) {
  const fromUrl = /^https?:\/\//i.test(source);
  const since = options.since === undefined ? undefined : readText(options.since);
  const keys = options.key?.flatMap((k) => readKeys(k));
  const witnesses = witnessRequirement(options.witness, options.witnessQuorum);
  if (typeof witnesses === 'string') return usage(witnesses);
  const result = fromUrl
    ? await verifyFromApi(apiOptions({ ...options, url: source }), { keys, since, witnesses })
    : await verifyExportDir(source, { keys, since, witnesses });
  return printResult(result, options.json === true);
}

/** What `--witness`/`--witness-quorum` ask for: N distinct given witnesses cosigned. */
interface WitnessRequirement {
  keys: string[];
  quorum: number;
}

/**
 * `--witness <vkey|file>` (repeatable) and `--witness-quorum N` (default: every witness given).
 * A quorum without witnesses, or larger than the witnesses given, is a usage error: it could
 * never be met, and silently verifying without it would not be failing closed.
 */
function witnessRequirement(
  witness: string[] | undefined,
  quorum: string | undefined,
): WitnessRequirement | string | undefined {
  if (witness === undefined || witness.length === 0) {
    return quorum === undefined ? undefined : '--witness-quorum needs --witness keys';
  }
  const keys = [
    ...new Set(
      witness.flatMap((value) =>
        looksLike(value, parseCosignerVerifierKey) ? [value] : readKeys(value, 'witness'),
      ),
    ),
  ];
  const n = quorum === undefined ? keys.length : parseQuorum(quorum);
  if (n === null || n > keys.length) {
    return `--witness-quorum is a whole number from 1 to the ${keys.length} witness keys given`;
  }
  return { keys, quorum: n };
}

/** The checkpoint route: the latest, or the newest that `cosigned` witnesses cosigned. */
function checkpointPath(cosigned: number | undefined): string {
  return cosigned === undefined
    ? '/v1/audit/checkpoint'
    : `/v1/audit/checkpoint?cosigned=${cosigned}`;
}

function parseQuorum(value: string): number | null {
  return /^[1-9][0-9]?$/.test(value) && Number(value) <= 32 ? Number(value) : null;
}

/**
 * The log verified; now the witnesses (docs/witness.md): the very checkpoint it was verified
 * against must carry cosignatures by `quorum` distinct given witnesses, or the result fails.
 */
function withWitnesses(
  result: VerifyLogResult,
  note: string | Uint8Array,
  keys: readonly string[],
  witnesses: WitnessRequirement | undefined,
): VerifyLogResult {
  if (!result.ok || witnesses === undefined) return result;
  const quorum = verifyWitnessQuorum({
    checkpoint: note,
    verifierKeys: keys,
    witnessKeys: witnesses.keys,
    quorum: witnesses.quorum,
  });
  if (!quorum.ok) return quorum;
  return { ...result, witnesses: { quorum: quorum.quorum, cosigned_by: quorum.cosigned_by } };
}

function usage(message: string): number {
  process.stderr.write(`countersign: ${message}\n`);
  return EXIT.usage;
}

/**
 * Verifies an export directory. Without `keys`, uses the export's own log-key.pub and says on
 * stderr what that does not prove. `history` adds older checkpoints the log must extend (before
 * the export's own). Also used by `report` and `report verify`.
 */
export async function verifyExportDir(
  dir: string,
  options: {
    keys?: string[] | undefined;
    since?: string | undefined;
    witnesses?: WitnessRequirement | undefined;
    history?: History | undefined;
  } = {},
): Promise<VerifyLogResult> {
  const path = (name: string) => join(dir, name);
  for (const name of [EXPORT_FILES.checkpoint, EXPORT_FILES.entries]) {
    if (!existsSync(path(name))) {
      throw new CountersignError('invalid_request', `${dir} is not an audit export: no ${name}`);
    }
  }
  let keys = options.keys;
  if (keys === undefined || keys.length === 0) {
    keys = readKeys(path(EXPORT_FILES.key));
    warnUntrustedKey(`${path(EXPORT_FILES.key)}, inside the export`);
  }
  const history: History = [...(options.history ?? [])];
  if (existsSync(path(EXPORT_FILES.checkpoints))) {
    const names = readdirSync(path(EXPORT_FILES.checkpoints)).filter((n) => n.endsWith('.txt'));
    for (const name of names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10))) {
      const label = `${EXPORT_FILES.checkpoints}/${name}`;
      history.push({ label, note: readFileSync(path(label)) });
    }
  }
  const checkpoint = readFileSync(path(EXPORT_FILES.checkpoint));
  const result = await verifyLog({
    entries: jsonlLines(createReadStream(path(EXPORT_FILES.entries), { highWaterMark: 1 << 20 })),
    checkpoint,
    verifierKeys: keys,
    history,
    ...(options.since === undefined ? {} : { since: options.since }),
    onProgress: progress(),
  });
  return withWitnesses(result, checkpoint, keys, options.witnesses);
}

/** Verifies the live log through the API, entries streamed page by page. */
export async function verifyFromApi(
  server: ApiOptions,
  options: {
    keys?: string[] | undefined;
    since?: string | undefined;
    witnesses?: WitnessRequirement | undefined;
  } = {},
): Promise<VerifyLogResult> {
  let checkpoint: CheckpointView;
  try {
    // With witnesses: the newest checkpoint the gateway holds enough cosignatures for.
    checkpoint = await api<CheckpointView>(
      server,
      'GET',
      checkpointPath(options.witnesses?.quorum),
    );
  } catch (e) {
    if (options.witnesses === undefined || !isCountersignError(e) || e.code !== 'not_found') {
      throw e;
    }
    return {
      ok: false,
      code: 'witness_quorum_not_met',
      reason: `the gateway has no checkpoint cosigned by ${options.witnesses.quorum} witnesses`,
    };
  }
  let keys = options.keys;
  if (keys === undefined || keys.length === 0) {
    keys = [checkpoint.verifier_key];
    warnUntrustedKey(`${server.url}, the gateway being checked`);
  }
  const older = await olderCheckpoints(server, checkpoint.size);
  const result = await verifyLog({
    entries: apiEntries(server, checkpoint.size),
    checkpoint: checkpoint.note,
    verifierKeys: keys,
    history: older.map((c) => ({ label: `the checkpoint of size ${c.size}`, note: c.note })),
    ...(options.since === undefined ? {} : { since: options.since }),
    onProgress: progress(),
  });
  return withWitnesses(result, checkpoint.note, keys, options.witnesses);
}

/**
 * Entries [0, size) through `GET /v1/audit/entries`, one page per batch, the next page
 * requested while the current one is checked. The server is not trusted: a page that is not
 * a list of single-line strings starting where we asked stops the read (verifyLog reports it).
 */
async function* apiEntries(server: ApiOptions, size: number): AsyncGenerator<string[]> {
  const page = async (from: number) => {
    const to = Math.min(from + PAGE, size);
    const body = await api<{ from?: unknown; entries?: unknown }>(
      server,
      'GET',
      `/v1/audit/entries?from=${from}&to=${to}`,
    );
    const entries = body.entries;
    const ok =
      body.from === from &&
      Array.isArray(entries) &&
      entries.length > 0 &&
      entries.length <= to - from &&
      entries.every((e) => typeof e === 'string' && !e.includes('\n'));
    if (!ok) throw new Error(`the gateway returned a malformed page of entries from ${from}`);
    return entries as string[];
  };
  let from = 0;
  let next = from < size ? page(from) : undefined;
  while (next !== undefined) {
    const entries = await next;
    from += entries.length;
    next = from < size ? page(from) : undefined;
    // If the consumer stops early, a prefetched page's failure must not go unhandled.
    next?.catch(() => undefined);
    yield entries;
  }
}

/** Passes pages through, first handing each to `sink` (which may be async: it is awaited). */
async function* writing<T>(
  pages: AsyncIterable<T>,
  sink: (page: T) => Promise<unknown>,
): AsyncGenerator<T> {
  for await (const page of pages) {
    await sink(page);
    yield page;
  }
}

/** `GET /v1/audit/checkpoints`, minus the latest: those below `size`, oldest first. */
async function olderCheckpoints(server: ApiOptions, size: number): Promise<CheckpointView[]> {
  const { checkpoints } = await api<{ checkpoints: CheckpointView[] }>(
    server,
    'GET',
    `/v1/audit/checkpoints?limit=${HISTORY}`,
  );
  return checkpoints.filter((c) => c.size < size).sort((a, b) => a.size - b.size);
}

/** A `--key` value: a verifier key, or a file holding one or more (one per line). */
function readKeys(value: string, flag = 'key'): string[] {
  let text = value;
  if (!looksLikeKey(value)) {
    if (!existsSync(value) || !statSync(value).isFile()) {
      throw new CountersignError(
        'invalid_request',
        `--${flag} ${value}: not a verifier key or a file`,
      );
    }
    text = readText(value);
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** A file the user named; a missing or unreadable one is their error, said plainly. */
function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CountersignError('invalid_request', `cannot read ${file}: ${(e as Error).message}`);
  }
}

function looksLikeKey(value: string): boolean {
  return looksLike(value, parseNoteVerifierKey);
}

function looksLike(value: string, parse: (key: string) => unknown): boolean {
  try {
    parse(value);
    return true;
  } catch {
    return false;
  }
}

function warnUntrustedKey(where: string) {
  process.stderr.write(
    `warning: verifying with the key from ${where}. That proves the log is intact and ` +
      'consistent with itself, not that it is the log your gateway signed: pass --key with the ' +
      'verifier key published by its operator.\n',
  );
}

/** How often a progress line is redrawn: often enough to look alive, rarely enough to be cheap. */
const PROGRESS_REDRAW_MS = 200;

/**
 * Progress on stderr, only for a person watching a terminal (or with COUNTERSIGN_PROGRESS=1):
 * `verified 120000 of 1000000 entries (12%, 48000/s)`, redrawn in place at most every 200 ms
 * and once at the end. Piped or redirected output gets nothing, so scripts see only the result.
 */
function progress(verb = 'verified'): VerifyLogInput['onProgress'] {
  if (!process.stderr.isTTY && process.env.COUNTERSIGN_PROGRESS !== '1') return undefined;
  const started = Date.now();
  let drawn = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - drawn < PROGRESS_REDRAW_MS) return;
    drawn = now;
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const rate = Math.round(done / Math.max((now - started) / 1000, 0.001));
    process.stderr.write(`\r${verb} ${done} of ${total} entries (${percent}%, ${rate}/s)`);
    if (done >= total) process.stderr.write('\n');
  };
}

function printResult(result: VerifyLogResult, json: boolean): number {
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else if (result.ok) {
    const since = result.since
      ? `; consistent with the --since checkpoint of size ${result.since.size}`
      : '';
    const witnesses = result.witnesses
      ? `cosigned by ${result.witnesses.cosigned_by.length} witnesses (quorum ${result.witnesses.quorum}): ${result.witnesses.cosigned_by.join(', ')}\n`
      : '';
    process.stdout.write(
      `OK: ${result.size} entries verified against the checkpoint of ${result.origin}\n` +
        `size ${result.checkpoint_size}, root ${result.root_hash}\n` +
        `${result.checkpoints_checked} older checkpoints matched${since}\n${witnesses}`,
    );
  } else {
    const where =
      result.first_bad_index !== undefined
        ? ` at index ${result.first_bad_index}`
        : result.range
          ? ` in entries [${result.range.from}, ${result.range.to})`
          : '';
    process.stdout.write(`FAIL${where}: ${result.reason} (${result.code})\n`);
  }
  return result.ok ? EXIT.ok : EXIT.failed;
}
