// `countersign audit verify` on a 1,000,000-entry export: prints one JSON line,
//   {"name":"audit_verify_1m_export","entries":1000000,"seconds":X,"target_seconds":10,...}
// It writes a realistic export (~250-byte canonical entries chained by `prev`, a signed
// checkpoint) to a temporary directory, then times `verifyLog` reading entries.jsonl from disk:
// parse, canonical check, index and prev check, leaf hash and frontier fold for every entry.
// Run after `npm run build`: node bench/audit-verify.mjs
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EMPTY_FRONTIER,
  appendToFrontier,
  formatCheckpoint,
  generateNoteKey,
  jsonlLines,
  leafHash,
  parseNoteSignerKey,
  rootFromFrontier,
  signNote,
  verifyLog,
} from '../packages/core/dist/src/index.js';

const ENTRIES = 1_000_000;
const TARGET_SECONDS = 10;
const ORIGIN = 'bench.example.com/countersign';
const TYPES = [
  'action.submitted',
  'action.decided_by_policy',
  'action.vote_counted',
  'grant.issued',
];

const dir = mkdtempSync(join(tmpdir(), 'countersign-audit-bench-'));
try {
  // Write the export. Keys are inserted in sorted order, so JSON.stringify is the RFC 8785 form.
  const file = await open(join(dir, 'entries.jsonl'), 'w');
  let frontier = EMPTY_FRONTIER;
  let prev = null;
  let batch = [];
  for (let i = 0; i < ENTRIES; i++) {
    const text = JSON.stringify({
      actor: { id: `user-${i % 997}`, kind: 'user' },
      at: new Date(1_767_225_600_000 + i * 250).toISOString(),
      data: { channel: 'slack', vote: i % 5 ? 'approve' : 'deny' },
      index: i,
      prev,
      request_id: `act_01JZ${i.toString(36).padStart(22, '0')}`,
      type: TYPES[i % TYPES.length],
      v: 1,
    });
    const leaf = leafHash(Buffer.from(text, 'utf8'));
    frontier = appendToFrontier(frontier, leaf).frontier;
    prev = Buffer.from(leaf).toString('base64');
    batch.push(text, '\n');
    if (batch.length >= 20_000) {
      await file.write(batch.join(''));
      batch = [];
    }
  }
  await file.write(batch.join(''));
  await file.close();
  const { signerKey, verifierKey } = generateNoteKey(ORIGIN);
  const checkpoint = signNote(
    formatCheckpoint({ origin: ORIGIN, size: ENTRIES, rootHash: rootFromFrontier(frontier) }),
    parseNoteSignerKey(signerKey),
  );
  writeFileSync(join(dir, 'checkpoint.txt'), checkpoint);
  const bytes = statSync(join(dir, 'entries.jsonl')).size;

  const t0 = performance.now();
  const result = await verifyLog({
    entries: jsonlLines(createReadStream(join(dir, 'entries.jsonl'), { highWaterMark: 1 << 20 })),
    checkpoint,
    verifierKeys: verifierKey,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (!result.ok || result.size !== ENTRIES) {
    throw new Error(`verification failed: ${JSON.stringify(result)}`);
  }
  console.log(
    JSON.stringify({
      name: 'audit_verify_1m_export',
      entries: ENTRIES,
      seconds: Math.round(seconds * 100) / 100,
      target_seconds: TARGET_SECONDS,
      entry_bytes_avg: Math.round(bytes / ENTRIES - 1),
      rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
