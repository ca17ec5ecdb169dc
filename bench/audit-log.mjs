// The stored audit log (SQLite): (a) appends per second through the gateway's write path
// (group commit, one event per unit of work, 64 concurrent writers) with a checkpoint signed
// every second; (b) inclusion proofs in a 1,000,000-entry log read from the store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActionRepository, openAuditLog, openDatabase } from '../packages/server/dist/src/index.js';
import { leafHash, verifyInclusion } from '../packages/core/dist/src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SIZE = Number(process.env.BENCH_AUDIT_SIZE ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'countersign-audit-bench-'));
const storage = await openDatabase({ dataDir: dir });
const audit = await openAuditLog(storage, {});
const repo = new ActionRepository(storage.db, storage.dialect, audit);

const event = (i) => ({
  type: 'action.vote_counted',
  actor: { kind: 'user', id: `reviewer-${i % 50}` },
  request_id: `act_01m7bench${String(i).padStart(12, '0')}`,
  data: {
    vote: 'approve',
    comment: 'looks right',
    channel: 'api',
    groups: ['data-owners'],
    evidence: `sha256:${'ab'.repeat(32)}`,
  },
});

// (a) appends/s with checkpointing on
let appended = 0;
let checkpoints = 0;
const deadline = performance.now() + SECONDS * 1000;
const ticker = setInterval(() => void audit.checkpoint().then(() => checkpoints++), 1000);
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (performance.now() < deadline) {
      await repo.write(async (tx) => tx.appendEvidence([event(appended)]));
      appended++;
    }
  }),
);
clearInterval(ticker);
console.log(
  JSON.stringify({
    name: 'audit_appends_per_second',
    storage: 'sqlite',
    writers: 64,
    seconds: SECONDS,
    appends_per_second: Math.round(appended / SECONDS),
    checkpoints,
  }),
);

// (b) fill to SIZE in large transactions, then time inclusion proofs read from the store
const t0 = performance.now();
let size = await audit.size();
while (size < SIZE) {
  const n = Math.min(5000, SIZE - size);
  const batch = Array.from({ length: n }, (_, k) => event(size + k));
  await storage.db.transaction().execute((trx) => audit.append(trx, batch));
  size += n;
}
const fillSeconds = (performance.now() - t0) / 1000;
const cp = await audit.checkpoint();
const root = new Uint8Array(Buffer.from(cp.root_hash, 'base64'));
const PROOFS = 1000;
const indexes = Array.from({ length: PROOFS }, () => Math.floor(Math.random() * size));
const t1 = performance.now();
const proofs = [];
for (const index of indexes) proofs.push(await audit.inclusion(index, size));
const proofMs = (performance.now() - t1) / PROOFS;
// check they are right, outside the timing
const entries = await audit.entries(indexes[0], indexes[0] + 1);
const leaf = leafHash(Buffer.from(entries[0].entry, 'utf8'));
verifyInclusion(
  leaf,
  indexes[0],
  size,
  proofs[0].proof.map((p) => new Uint8Array(Buffer.from(p, 'base64'))),
  root,
);
console.log(
  JSON.stringify({
    name: 'audit_inclusion_proof',
    storage: 'sqlite',
    tree_size: size,
    fill_seconds: Number(fillSeconds.toFixed(1)),
    proofs: PROOFS,
    ms_per_proof: Number(proofMs.toFixed(3)),
    target_ms: 1,
  }),
);
await storage.close();
rmSync(dir, { recursive: true, force: true });
