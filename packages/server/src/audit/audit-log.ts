import {
  CountersignError,
  appendToFrontier,
  canonicalJson,
  consistencyProof,
  formatCheckpoint,
  inclusionProof,
  leafHash,
  signNote,
  treeRoot,
  type AuditEntry,
  type AuditEventType,
  type JsonValue,
  type MerkleFrontier,
  type SubtreeRef,
  type TreeHashSource,
} from '@countersign/core';
import type { Kysely } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  AuditHead,
  AuditRepository,
  SequencedBatch,
  StoredCheckpoint,
  StoredEntry,
} from '../storage/audit-repository.js';
import type { Database } from '../storage/schema.js';
import type { AuditKeys } from './audit-keys.js';
import type { Redactor } from './redactor.js';
import type { AuditEvent } from './audit-events.js';
import { outsideTransactions } from '../storage/held-transaction.js';
import type { TransactionScope } from '../storage/group-commit.js';
import {
  AuditSequencer,
  SEQUENCE_BATCH,
  SEQUENCER_RETRY_MS,
  type SequencerOptions,
} from './audit-sequencer.js';

/** What a caller records (audit-events.ts: one constructor per event type). */
export type { AuditEvent } from './audit-events.js';

/** One entry's content before it has an index: what the queue holds. */
interface Unsequenced {
  at: number;
  type: AuditEventType;
  actor: AuditEntry['actor'];
  request_id: string | null;
  data: unknown;
}

/**
 * How long `sync()` waits for queued evidence to be indexed: longer than PostgreSQL takes to
 * end a leader frozen mid-batch (idle_in_transaction_session_timeout, storage/open-database.ts),
 * after which another replica sequences.
 */
const SYNC_WAIT_MS = 12_000;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * The tamper-evident audit log (PRODUCT.md non-negotiable 5): an append-only RFC 9162 Merkle
 * tree whose entries are written in the same transaction as the state change they record.
 *
 * On SQLite an entry gets its index in that transaction. On PostgreSQL the transaction
 * queues it (no lock shared between replicas) and the sequencer indexes it moments later
 * (docs/audit.md "Sequencing"); readers that must see what was just written call `sync()`.
 */
export class AuditLog {
  #lastCheckpointAt = 0;
  readonly #sequencer: AuditSequencer;

  constructor(
    private readonly repo: AuditRepository,
    private readonly keys: AuditKeys,
    private readonly redactor: Redactor,
    readonly origin: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#sequencer = new AuditSequencer(() => this.#sequenceStep());
  }

  /** Starts this process's sequencer (PostgreSQL; SQLite sequences as it commits). */
  startSequencer(options: SequencerOptions = {}): void {
    if (!this.repo.sequencesInline) this.#sequencer.start(options);
  }

  async stopSequencer(): Promise<void> {
    await this.#sequencer.stop();
  }

  get verifierKey(): string {
    return this.keys.verifierKey;
  }

  /**
   * Appends events at the end of a group-committed transaction: every unit of work in the batch
   * adds its evidence, written in one go (SQLite: one read and update of the head; PostgreSQL:
   * one insert into the queue).
   */
  appendAtCommit(
    tx: Pick<TransactionScope, 'trx' | 'collect'>,
    events: readonly AuditEvent[],
  ): void {
    if (events.length === 0) return;
    tx.collect(this, events, (all: AuditEvent[]) => this.append(tx.trx, all));
  }

  /**
   * Appends events in `trx` (the caller's transaction): they commit with the change they
   * record. SQLite indexes them here; PostgreSQL queues them for the sequencer.
   */
  async append(trx: Kysely<Database>, events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const at = this.now();
    const items = events.map((event): Unsequenced => ({
      at,
      type: event.type,
      actor: event.actor,
      request_id: event.request_id ?? null,
      data: event.redact ? this.redactor.apply(event.data) : event.data,
    }));
    if (this.repo.sequencesInline) {
      const batch = this.#extend(await this.repo.lockHead(trx), items);
      await this.repo.write(trx, batch.head, batch.entries, batch.nodes);
      return;
    }
    await this.repo.enqueue(
      trx,
      items.map((i) => ({
        at: i.at,
        type: i.type,
        request_id: i.request_id,
        actor: canonicalJson(i.actor as unknown as JsonValue),
        data: canonicalJson(i.data as JsonValue),
      })),
    );
    // The drain runs on its own connections after this transaction commits, not inside it.
    outsideTransactions(() => this.#sequencer.queued());
  }

  /**
   * Waits until the evidence committed before this call has its index (PostgreSQL), helping
   * to sequence it; returns after SYNC_WAIT_MS regardless, when no replica can sequence (the
   * reader then sees the log as it is). Checkpoints and a request's trail call it first.
   */
  async sync(): Promise<void> {
    if (this.repo.sequencesInline) return;
    const target = await this.repo.lastQueuedId();
    if (target === undefined) return;
    const deadline = performance.now() + SYNC_WAIT_MS;
    while (await this.repo.hasQueued(target)) {
      if (performance.now() > deadline) return;
      const done = await this.#sequenceStep().catch(() => 'busy' as const);
      if (done === 'busy' || done === 0) await sleep(SEQUENCER_RETRY_MS);
    }
  }

  /** One batch: the oldest queued evidence becomes entries, if this process gets the lock. */
  async #sequenceStep(): Promise<number | 'busy'> {
    if (!(await this.repo.hasQueued())) return 0;
    return this.repo.sequenceBatch(SEQUENCE_BATCH, (head, rows) =>
      this.#extend(
        head,
        rows.map((r) => ({
          at: r.at,
          type: r.type as AuditEventType,
          actor: JSON.parse(r.actor) as AuditEntry['actor'],
          request_id: r.request_id,
          data: JSON.parse(r.data) as unknown,
        })),
      ),
    );
  }

  /** Indexes `items` after `head`: their entries, the completed subtrees and the new head. */
  #extend(head: AuditHead, items: readonly Unsequenced[]): SequencedBatch {
    let frontier: MerkleFrontier = { size: head.size, hashes: head.frontier.map(unb64) };
    let prev = head.lastLeaf;
    const entries: SequencedBatch['entries'] = [];
    const nodes: SequencedBatch['nodes'] = [];
    for (const item of items) {
      const entry = {
        v: 1,
        index: frontier.size,
        prev,
        at: new Date(item.at).toISOString(),
        type: item.type,
        actor: item.actor,
        ...(item.request_id ? { request_id: item.request_id } : {}),
        data: item.data,
      };
      // canonicalJson omits undefined members, as JSON.stringify does.
      const text = canonicalJson(entry as unknown as JsonValue);
      const leaf = leafHash(Buffer.from(text, 'utf8'));
      const appended = appendToFrontier(frontier, leaf);
      frontier = appended.frontier;
      prev = b64(leaf);
      entries.push({
        index: entry.index,
        entry: text,
        leaf_hash: prev,
        at: item.at,
        type: item.type,
        request_id: item.request_id,
      });
      for (const c of appended.completed)
        if (c.level > 0) nodes.push({ level: c.level, idx: c.index, hash: b64(c.hash) });
    }
    return {
      head: { size: frontier.size, frontier: frontier.hashes.map(b64), lastLeaf: prev },
      entries,
      nodes,
    };
  }

  /** A read-only view of the stored tree for proofs: O(log n) reads, one query per level kind. */
  async source(): Promise<TreeHashSource> {
    const size = await this.repo.size();
    const repo = this.repo;
    const subtreeHashes = async (refs: readonly SubtreeRef[]) => {
      const leaves = await repo.leafHashes(refs.filter((r) => r.level === 0).map((r) => r.index));
      const nodes = await repo.nodeHashes(refs.filter((r) => r.level > 0));
      return refs.map((r) => {
        const hash = r.level === 0 ? leaves.get(r.index) : nodes.get(`${r.level}:${r.index}`);
        if (hash === undefined) {
          throw new CountersignError(
            'internal',
            `audit subtree ${r.level}:${r.index} is missing from the store`,
          );
        }
        return unb64(hash);
      });
    };
    return {
      size,
      subtreeHashes,
      subtreeHash: async (level, index) => (await subtreeHashes([{ level, index }]))[0],
    };
  }

  /**
   * The log's size once what was committed before the call is indexed: an auditor reading
   * right after a change sees it (the entries, proofs and checkpoint routes start here).
   */
  async size(): Promise<number> {
    await this.sync();
    return this.repo.size();
  }

  /**
   * Seconds the oldest evidence has waited for its index (0 when none waits, and always on
   * SQLite): the sequencing lag an operator alerts on.
   */
  async sequencingLagSeconds(): Promise<number> {
    if (this.repo.sequencesInline) return 0;
    const at = await this.repo.oldestQueuedAt();
    return at === undefined ? 0 : Math.max(0, (this.now() - at) / 1000);
  }

  /** The size as indexed now, without waiting for the sequencer (metrics). */
  indexedSize(): Promise<number> {
    return this.repo.size();
  }

  entries(from: number, to: number): Promise<StoredEntry[]> {
    return this.repo.entries(from, to);
  }

  /** One request's entries, oldest first, once what was committed before the call is indexed. */
  async forRequest(requestId: string): Promise<StoredEntry[]> {
    await this.sync();
    return this.repo.forRequest(requestId);
  }

  /** As {@link forRequest} for several requests at once: one sync and one query. */
  async forRequests(requestIds: readonly string[]): Promise<StoredEntry[]> {
    await this.sync();
    return this.repo.forRequests(requestIds);
  }

  async inclusion(index: number, size: number) {
    const source = await this.source();
    const [proof, root, leaf] = await Promise.all([
      inclusionProof(source, index, size),
      treeRoot(source, size),
      source.subtreeHash(0, index),
    ]);
    return { index, size, leaf_hash: b64(leaf), proof: proof.map(b64), root_hash: b64(root) };
  }

  async consistency(from: number, to: number) {
    const source = await this.source();
    const [proof, rootFrom, rootTo] = await Promise.all([
      consistencyProof(source, from, to),
      treeRoot(source, from),
      treeRoot(source, to),
    ]);
    return {
      from,
      to,
      proof: proof.map(b64),
      root_hash_from: b64(rootFrom),
      root_hash_to: b64(rootTo),
    };
  }

  /**
   * Signs a checkpoint of the current tree if it grew since the last one (C2SP tlog-checkpoint).
   * `minIntervalMs` bounds how often an on-demand request can make the gateway sign.
   */
  async checkpoint(minIntervalMs = 0): Promise<StoredCheckpoint | undefined> {
    // What was committed before the call is in the tree it signs (and in the export after it).
    await this.sync();
    const latest = await this.repo.latestCheckpoint();
    const source = await this.source();
    if (source.size === 0) return latest;
    if (latest && latest.size >= source.size) return latest;
    if (latest && this.now() - this.#lastCheckpointAt < minIntervalMs) return latest;
    const root = await treeRoot(source, source.size);
    const note = signNote(
      formatCheckpoint({ origin: this.origin, size: source.size, rootHash: root }),
      this.keys.signer,
    );
    this.#lastCheckpointAt = this.now();
    const made = {
      size: source.size,
      root_hash: b64(root),
      note,
      created_at: this.#lastCheckpointAt,
    };
    await this.repo.insertCheckpoint(made);
    return made;
  }

  latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    return this.repo.latestCheckpoint();
  }

  /** Signed checkpoints larger than `size`, smallest first (the first includes entry `size`). */
  checkpointsAbove(size: number, limit: number): Promise<StoredCheckpoint[]> {
    return this.repo.checkpointsAbove(size, limit);
  }

  checkpoints(limit = 1000): Promise<StoredCheckpoint[]> {
    return this.repo.checkpoints(limit);
  }
}
