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
  type JsonValue,
  type MerkleFrontier,
  type SubtreeRef,
  type TreeHashSource,
} from '@countersign/core';
import type { Kysely } from 'kysely';
import type {
  AuditRepository,
  StoredCheckpoint,
  StoredEntry,
} from '../storage/audit-repository.js';
import type { Database } from '../storage/schema.js';
import type { AuditKeys } from './audit-keys.js';
import type { Redactor } from './redactor.js';
import type { AuditEvent } from './audit-events.js';

/** What a caller records (audit-events.ts: one constructor per event type). */
export type { AuditEvent } from './audit-events.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/**
 * The tamper-evident audit log (PRODUCT.md non-negotiable 5): an append-only RFC 9162 Merkle
 * tree whose entries are written in the same transaction as the state change they record.
 */
export class AuditLog {
  #lastCheckpointAt = 0;

  constructor(
    private readonly repo: AuditRepository,
    private readonly keys: AuditKeys,
    private readonly redactor: Redactor,
    readonly origin: string,
    private readonly now: () => number = Date.now,
  ) {}

  get verifierKey(): string {
    return this.keys.verifierKey;
  }

  readonly #atCommit = new WeakMap<object, AuditEvent[]>();

  /**
   * Appends events at the end of a group-committed transaction: every unit of work in the batch
   * adds its evidence, and the log's head is read and written once for all of them.
   */
  appendAtCommit(
    tx: { trx: Kysely<Database>; beforeCommit(hook: () => Promise<void>): void },
    events: readonly AuditEvent[],
  ): void {
    if (events.length === 0) return;
    let list = this.#atCommit.get(tx.trx);
    if (!list) {
      const fresh: AuditEvent[] = [];
      list = fresh;
      this.#atCommit.set(tx.trx, fresh);
      tx.beforeCommit(async () => {
        this.#atCommit.delete(tx.trx);
        await this.append(tx.trx, fresh);
      });
    }
    list.push(...events);
  }

  /** Appends events in `trx` (the caller's transaction): they commit with the change they record. */
  async append(trx: Kysely<Database>, events: readonly AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const head = await this.repo.lockHead(trx);
    let frontier: MerkleFrontier = { size: head.size, hashes: head.frontier.map(unb64) };
    let prev = head.lastLeaf;
    const at = this.now();
    const entries: Parameters<AuditRepository['write']>[2] = [];
    const nodes: Parameters<AuditRepository['write']>[3] = [];
    for (const event of events) {
      const entry: AuditEntry = {
        v: 1,
        index: frontier.size,
        prev,
        at: new Date(at).toISOString(),
        type: event.type,
        actor: event.actor,
        ...(event.request_id ? { request_id: event.request_id } : {}),
        data: event.redact ? this.redactor.apply(event.data) : event.data,
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
        at,
        type: event.type,
        request_id: event.request_id ?? null,
      });
      for (const c of appended.completed)
        if (c.level > 0) nodes.push({ level: c.level, idx: c.index, hash: b64(c.hash) });
    }
    await this.repo.write(
      trx,
      { size: frontier.size, frontier: frontier.hashes.map(b64), lastLeaf: prev },
      entries,
      nodes,
    );
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

  async size(): Promise<number> {
    return this.repo.size();
  }

  entries(from: number, to: number): Promise<StoredEntry[]> {
    return this.repo.entries(from, to);
  }

  forRequest(requestId: string): Promise<StoredEntry[]> {
    return this.repo.forRequest(requestId);
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

  checkpoints(limit = 1000): Promise<StoredCheckpoint[]> {
    return this.repo.checkpoints(limit);
  }
}
