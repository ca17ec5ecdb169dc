// CPU per auto-allowed decision against the floor of the work such a decision requires, both
// measured in this run (issue 13: target ≤ 1.6 × the floor). The floor is the sum of parts,
// each measured alone, in a child process (`--parts <batch size>`):
//
//   http     a bare Fastify route, CPU per request under the same load, answering with a body of
//            the gateway's size and shape (servers.mjs bare-view): reading, parsing and answering
//            the request is required work; deciding, storing and signing are not in it
//   sign     one Ed25519 signature over a grant-sized JWS input (node:crypto, one-shot)
//   writes   the durable writes: the request row, two audit entries and their Merkle node rows,
//            the audit head read and update, BEGIN and COMMIT, as prepared better-sqlite3
//            statements in WAL mode, batched as many to a transaction as the gateway's group
//            commit did in this run
//   hashes   RFC 8785 canonical JSON of the action once and its SHA-256 digest, the two
//            entries' text (JSON.stringify: the cheapest way to get their bytes), their leaf
//            hashes and the node hashes their appends complete
//   policy   the bench policy's evaluation of the request
//
// The gateway's figure is CPU per request of its whole process (every thread, /proc), as in
// throughput.mjs. SQLite only: the floor's writes are SQLite's.
//   node bench/cpu-floor.mjs            (after `npx tsc -b`)
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, hash, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONNECTIONS, DURATION, SUBMISSION, measure } from './gateway-load.mjs';
import { BENCH_POLICY } from './bench-policy.mjs';

const core = '../packages/core/dist/src/index.js';
const server = '../packages/server/dist/src';

/** CPU µs (user + system, this process) per call of `fn`, over `n` calls after `n/5` warm-up. */
function cpuPer(n, fn) {
  for (let i = 0; i < n / 5; i++) fn(i);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) fn(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

async function parts(batch) {
  const { canonicalJson, leafHash, nodeHash, loadPolicy, newId } = await import(core);
  const { newActionRecord } = await import(`${server}/actions/new-action-record.js`);
  const { actionSubmitted, actionDecidedByPolicy } = await import(
    `${server}/audit/audit-events.js`
  );
  const { rowFromRecord } = await import(`${server}/storage/action-rows.js`);
  const { openDatabase } = await import(`${server}/storage/open-database.js`);

  const policy = loadPolicy(BENCH_POLICY, {
    file: 'bench.yaml',
    groups: new Set(['reviewers']),
    users: new Set(['rita', 'owen']),
  });
  const input = { ...SUBMISSION, agent: { id: 'bench-agent', owners: ['owen'] } };
  const policyUs = cpuPer(100_000, () => policy.evaluate(input));

  // A grant as grant-service.ts signs it: same header, same claims, so the same input length.
  const { privateKey } = generateKeyPairSync('ed25519');
  const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Date.now();
  const decision = policy.evaluate(input);
  const spec = {
    action: SUBMISSION.action,
    resource: SUBMISSION.resource,
    environment: SUBMISSION.environment,
    params: SUBMISSION.params,
  };
  const digest = `sha256:${hash('sha256', canonicalJson(spec), 'hex')}`;
  const record = newActionRecord('bench-agent', { ...SUBMISSION }, digest, decision, now);
  const jti = newId('grt', now);
  const signingInput = Buffer.from(
    `${b64url({ alg: 'EdDSA', kid: 'x'.repeat(43), typ: 'countersign-grant+jwt' })}.${b64url({
      iss: 'http://127.0.0.1:4000',
      sub: record.agent_id,
      aud: 'countersign-grant',
      jti,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + 300,
      request_id: record.id,
      action: record.action,
      resource: record.resource,
      environment: record.environment,
      digest,
      approvers: [],
      basis: 'policy',
      policy_version: record.policy_version,
    })}`,
    'ascii',
  );
  const signUs = cpuPer(20_000, () => sign(null, signingInput, privateKey));
  const signature = sign(null, signingInput, privateKey).toString('base64url');
  record.grant = {
    token: `${signingInput}.${signature}`,
    jti,
    expires_at: now + 300_000,
    redeemed_at: null,
  };

  // The two entries as audit-log.ts builds them.
  const actor = { kind: 'agent', id: 'bench-agent' };
  const events = [actionSubmitted(actor, record), actionDecidedByPolicy(actor, record)];
  const entries = events.map((e, i) => ({
    v: 1,
    index: i,
    prev: 'x'.repeat(44),
    at: new Date(now).toISOString(),
    type: e.type,
    actor: e.actor,
    request_id: e.request_id,
    data: e.data,
  }));
  const texts = entries.map((e) => canonicalJson(e));
  const leaf = leafHash(Buffer.from(texts[0]));
  const hashesUs = cpuPer(50_000, () => {
    hash('sha256', canonicalJson(spec), 'hex');
    for (const e of entries) leafHash(Buffer.from(JSON.stringify(e), 'utf8'));
    // Appending two leaves completes two subtrees on average: two node hashes.
    nodeHash(leaf, leaf);
    nodeHash(leaf, leaf);
  });

  // The schema exactly as the gateway has it, then the same file through prepared statements.
  const dir = mkdtempSync(join(tmpdir(), 'countersign-floor-'));
  const storage = await openDatabase({ dataDir: dir });
  await storage.close();
  const Sqlite = createRequire(new URL(`${server}/storage/open-database.js`, import.meta.url))(
    'better-sqlite3',
  );
  const db = new Sqlite(join(dir, 'countersign.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const row = rowFromRecord(record);
  const columns = Object.keys(row);
  const insertAction = db.prepare(
    `insert into actions (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')}) on conflict (agent_id, idempotency_key) where idempotency_key is not null do nothing`,
  );
  const insertEntry = db.prepare(
    'insert into audit_entries (idx, entry, leaf_hash, at, type, request_id) values (?, ?, ?, ?, ?, ?)',
  );
  const insertNode = db.prepare('insert into audit_nodes (level, idx, hash) values (?, ?, ?)');
  const readHead = db.prepare('select size, frontier, last_leaf from audit_head where id = 1');
  const writeHead = db.prepare(
    'update audit_head set size = ?, frontier = ?, last_leaf = ? where id = 1',
  );
  const begin = db.prepare('begin');
  const commit = db.prepare('commit');
  const leafText = leaf.toString('base64');
  const frontier = JSON.stringify(Array.from({ length: 20 }, () => leafText));
  let size = Number(readHead.get().size);
  let nodeIdx = 0;
  const values = Object.values(row);
  const idAt = columns.indexOf('id');
  const writeBatch = () => {
    begin.run();
    readHead.get();
    for (let i = 0; i < batch; i++) {
      values[idAt] = newId('act', now);
      insertAction.run(values);
      for (const text of texts) {
        insertEntry.run(size, text, leafText, now, 'action.submitted', values[idAt]);
        size++;
      }
      insertNode.run(1, nodeIdx++, leafText);
      insertNode.run(2, nodeIdx++, leafText);
    }
    writeHead.run(size, frontier, leafText);
    commit.run();
  };
  const writesUs = cpuPer(Math.max(200, Math.round(40_000 / batch)), writeBatch) / batch;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { sign: signUs, writes: writesUs, hashes: hashesUs, policy: policyUs };
}

if (process.argv[2] === '--parts') {
  console.log(JSON.stringify(await parts(Number(process.argv[3]))));
} else {
  if (process.env.DATABASE_URL)
    throw new Error('cpu-floor.mjs measures the SQLite floor: unset DATABASE_URL');
  const bare = await measure('bare-view');
  // For reference only (not in the floor): the same route answering ~200 bytes.
  const small = await measure('bare');
  const gateway = await measure('gateway');
  const exit = Object.assign({}, ...gateway.exit);
  const commits = exit.group_commit;
  const batch = commits ? Math.max(1, Math.round(commits.units / commits.transactions)) : 1;
  const r = spawnSync(
    process.execPath,
    [new URL(import.meta.url).pathname, '--parts', String(batch)],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  if (r.status !== 0) throw new Error(`floor parts failed (exit ${r.status})`);
  const p = JSON.parse(r.stdout.trim().split('\n').at(-1));
  const floor = bare.cpu_us + p.sign + p.writes + p.hashes + p.policy;
  const round = (x) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify({
      name: 'auto_allow_cpu_floor',
      storage: 'sqlite',
      connections: CONNECTIONS,
      seconds: DURATION,
      gateway_rps: Math.round(gateway.rps),
      gateway_cpu_us_per_request: gateway.cpu_us,
      writes_per_transaction: commits ? round(commits.units / commits.transactions) : null,
      statements_per_request: exit.store
        ? round(exit.store.statements / gateway.all_requests)
        : null,
      floor_us: round(floor),
      floor_parts_us: {
        http: bare.cpu_us,
        http_small_answer_not_in_floor: small.cpu_us,
        sign: round(p.sign),
        writes: round(p.writes),
        hashes: round(p.hashes),
        policy: round(p.policy),
      },
      ratio: Number((gateway.cpu_us / floor).toFixed(2)),
      target_ratio: 1.6,
    }),
  );
}
