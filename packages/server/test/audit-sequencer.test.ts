import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { verifyLog, type AuditEntry } from '@countersign/core';
import { configChanged } from '../src/audit/audit-events.js';
import { SEQUENCER_LOCK_KEY } from '../src/storage/audit-repository.js';
import { inTransaction } from '../src/storage/held-transaction.js';
import { postgresAvailable, startGateway, type TestGateway } from './harness.js';

/**
 * The audit sequencer on PostgreSQL (docs/audit.md "Sequencing"): three gateways on one
 * database write evidence in their own transactions without a shared lock, and whichever
 * holds the advisory lock for a batch gives it dense indexes. Waits go through
 * `AuditLog.sync()` (sequence what was committed before the call), never through sleeps.
 */
const body = { action: 'db.export', resource: 'pg://prod', params: { rows: 5 } };

/** The session holding the sequencer's advisory lock, if any (a bigint key: classid, objid). */
// pg_locks is cluster-wide: other tests' databases run sequencers of their own at the same time.
const HOLDER = `select pid from pg_locks where locktype = 'advisory' and objsubid = 1
  and database = (select oid from pg_database where datname = current_database())
  and ((classid::bigint << 32) | objid::bigint) = $1::bigint and granted`;

describe('the audit sequencer (postgres)', { skip: !(await postgresAvailable()) }, () => {
  let a: TestGateway;
  let b: TestGateway;
  let c: TestGateway;
  let agent: string;
  let auditor: string;
  let admin: pg.Client;
  before(async () => {
    a = await startGateway({ dialect: 'postgres' });
    const reuse = { dir: a.dir, databaseUrl: a.databaseUrl };
    b = await startGateway({ dialect: 'postgres', reuse });
    c = await startGateway({ dialect: 'postgres', reuse });
    agent = await a.token('agent', 'exporter');
    auditor = await a.token('user', 'root');
    admin = new pg.Client({ connectionString: a.databaseUrl });
    await admin.connect();
  });
  after(async () => {
    await admin.end();
    await c.close({ keep: true });
    await b.close({ keep: true });
    await a.close();
  });

  const submit = (gw: TestGateway) => gw.call('POST', '/v1/actions', { token: agent, body });
  const queued = async () =>
    Number((await admin.query<{ n: string }>('select count(*) as n from audit_queue')).rows[0].n);

  /** The whole log through the API of `gw`: dense from 0 and verifying against its checkpoint. */
  const verifiedLog = async (gw: TestGateway): Promise<AuditEntry[]> => {
    await gw.gateway.audit.sync();
    const cp = (await gw.call('GET', '/v1/audit/checkpoint', { token: auditor })).body;
    const texts: string[] = [];
    while (texts.length < cp.size) {
      const page = await gw.call('GET', `/v1/audit/entries?from=${texts.length}&to=${cp.size}`, {
        token: auditor,
      });
      assert.equal(page.status, 200, JSON.stringify(page.body));
      texts.push(...(page.body.entries as string[]));
    }
    const entries = texts.map((t) => JSON.parse(t) as AuditEntry);
    entries.forEach((e, i) => assert.equal(e.index, i, 'indexes are dense and in order'));
    const result = await verifyLog({
      entries: [texts],
      checkpoint: cp.note as string,
      verifierKeys: cp.verifier_key as string,
    });
    assert.equal(result.ok, true, JSON.stringify(result));
    return entries;
  };

  test('evidence queued in a transaction is sequenced by the kick after it, not the poll', async () => {
    // The other replicas and the safety poll out of the way: only the kick can index it.
    await Promise.all([a, b, c].map((gw) => gw.gateway.audit.stopSequencer()));
    const errors: unknown[] = [];
    const drained = async () => {
      for (let waited = 0; (await queued()) > 0; waited += 20) {
        assert.ok(waited < 10_000, `still queued; sequencer errors: ${errors.join('; ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    a.gateway.audit.startSequencer({ pollMs: 3_600_000, onError: (e) => errors.push(e) });
    try {
      await drained(); // what was queued before: the start's own kick
      await new Promise((r) => setTimeout(r, 300)); // and that drain has ended: idle
      // An idle sequencer, kicked from inside a transaction: its drain must not run in it.
      await inTransaction(a.gateway.storage.db, (trx) =>
        a.gateway.audit.append(trx, [configChanged(['kicked'])]),
      );
      await drained();
      const results = await Promise.all(Array.from({ length: 5 }, () => submit(a)));
      for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
      await drained();
      assert.deepEqual(errors, [], 'the drain never ran inside a transaction');
    } finally {
      await a.gateway.audit.stopSequencer();
      for (const gw of [a, b, c]) gw.gateway.audit.startSequencer();
    }
  });

  test('the sequencing lag metric: the age of the oldest unindexed evidence, 0 once indexed', async () => {
    await a.gateway.audit.sync(); // nothing left from earlier tests
    assert.equal(await a.gateway.audit.sequencingLagSeconds(), 0);
    // Nobody can sequence while another session holds the sequencer's lock (a frozen leader).
    await admin.query('select pg_advisory_lock($1::bigint)', [SEQUENCER_LOCK_KEY]);
    try {
      await inTransaction(a.gateway.storage.db, (trx) =>
        a.gateway.audit.append(trx, [configChanged(['lagging'])]),
      );
      await new Promise((r) => setTimeout(r, 50));
      // Every replica sees the same queue: the lag is the cluster's, read on any of them.
      assert.ok((await b.gateway.audit.sequencingLagSeconds()) >= 0.05);
    } finally {
      await admin.query('select pg_advisory_unlock($1::bigint)', [SEQUENCER_LOCK_KEY]);
    }
    await c.gateway.audit.sync();
    assert.equal(await a.gateway.audit.sequencingLagSeconds(), 0);
  });

  test('concurrent writes on three replicas make one dense, verifying log', async () => {
    const before = await a.gateway.audit.size();
    const results = await Promise.all(
      Array.from({ length: 90 }, (_, i) => submit([a, b, c][i % 3])),
    );
    for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
    const entries = await verifiedLog(b);
    const submitted = new Set(
      entries.filter((e) => e.type === 'action.submitted').map((e) => e.request_id),
    );
    for (const r of results) assert.ok(submitted.has(r.body.id), `${r.body.id} is in the log`);
    assert.ok(entries.length >= before + 90);
    assert.equal(await queued(), 0);
  });

  test('a transaction that rolls back leaves no entry; its neighbour is indexed', async () => {
    // A marker carried in the entry's data: which of the two transactions' evidence is stored.
    const event = (marker: string) => configChanged([marker]);
    const db = a.gateway.storage.db;
    await assert.rejects(
      inTransaction(db, async (trx) => {
        await a.gateway.audit.append(trx, [event('rolled-back')]);
        throw new Error('the change fails after its evidence was queued');
      }),
      /the change fails/,
    );
    await inTransaction(db, (trx) => a.gateway.audit.append(trx, [event('committed')]));
    const markers = (await verifiedLog(c))
      .filter((e) => e.type === 'config.changed')
      .filter((e) => !['kicked', 'lagging'].includes((e.data.changes as string[])[0] ?? ''))
      .map((e) => (e.data.changes as string[])[0]);
    assert.deepEqual(markers, ['committed']);
    assert.equal(await queued(), 0);
  });

  test('a replica frozen mid-transaction does not stop the others writing or sequencing', async () => {
    // A's transaction has queued evidence and never finishes (a GC pause, SIGSTOP): it holds
    // its own row only.
    let release: () => void = () => undefined;
    const stalled = inTransaction(a.gateway.storage.db, async (trx) => {
      await a.gateway.audit.append(trx, [configChanged(['frozen'])]);
      await new Promise<void>((r) => (release = r));
    });
    const sizeBefore = await b.gateway.audit.size();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => submit([b, c][i % 2])));
    for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
    // Their evidence is indexed while A's transaction is still open.
    const entries = await verifiedLog(c);
    assert.ok(entries.length >= sizeBefore + 20);
    assert.ok(!entries.some((e) => (e.data.changes as string[] | undefined)?.[0] === 'frozen'));
    release();
    await stalled;
    assert.ok(
      (await verifiedLog(b)).some(
        (e) => (e.data.changes as string[] | undefined)?.[0] === 'frozen',
      ),
    );
  });

  test('no request path locks the audit head: writes complete while a session holds it', async () => {
    // What every write waited on before the sequencer: the head row, locked and never let go.
    const holder = new pg.Client({ connectionString: a.databaseUrl });
    await holder.connect();
    holder.on('error', () => undefined);
    await holder.query('begin');
    await holder.query('select * from audit_head where id = 1 for update');
    try {
      const results = await Promise.all(
        Array.from({ length: 15 }, (_, i) => submit([a, b, c][i % 3])),
      );
      for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.ok((await queued()) >= 15, 'the evidence is committed, waiting for its index');
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    await verifiedLog(a);
    assert.equal(await queued(), 0);
  });

  test('a leader frozen holding the sequencer lock is ended and another replica takes over', async () => {
    // A session that took the sequencer's lock and froze mid-batch, as a stalled replica's
    // would; the server ends it (here: pg_terminate_backend, as idle_in_transaction_session_timeout
    // would), which rolls its batch back and frees the lock.
    const frozen = new pg.Client({ connectionString: a.databaseUrl });
    await frozen.connect();
    frozen.on('error', () => undefined);
    const pid = (await frozen.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid;
    await frozen.query('begin');
    await frozen.query('select pg_advisory_xact_lock($1::bigint)', [SEQUENCER_LOCK_KEY]);
    const sizeBefore = await a.gateway.audit.indexedSize();
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) => submit([a, b, c][i % 3])),
    );
    for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(await a.gateway.audit.indexedSize(), sizeBefore, 'nobody sequences meanwhile');
    const { rows } = await admin.query<{ pid: number }>(HOLDER, [SEQUENCER_LOCK_KEY]);
    assert.deepEqual(
      rows.map((r) => r.pid),
      [pid],
    );
    await admin.query('select pg_terminate_backend($1)', [pid]);
    await frozen.end().catch(() => undefined);
    const entries = await verifiedLog(b);
    assert.ok(entries.length >= sizeBefore + 15);
    assert.equal(await queued(), 0);
  });

  test("killing the leader's connection mid-batch loses nothing and duplicates nothing", async () => {
    let killed = 0;
    let load = true;
    const writes: Array<Promise<{ status: number }>> = [];
    const writer = (async () => {
      while (load) {
        const batch = Array.from({ length: 12 }, (_, i) => submit([a, b, c][i % 3]));
        writes.push(...batch);
        await Promise.all(batch);
      }
    })();
    // Catch whichever replica leads a batch and end its session (a crash, a partition).
    for (let attempt = 0; attempt < 20_000 && killed < 3; attempt++) {
      const { rows } = await admin.query<{ pid: number }>(HOLDER, [SEQUENCER_LOCK_KEY]);
      for (const r of rows) {
        await admin.query('select pg_terminate_backend($1)', [r.pid]);
        killed += 1;
      }
    }
    load = false;
    await writer;
    assert.ok(killed >= 1, 'a leader was caught mid-batch');
    // A write whose pool connection was the one ended may fail (503); the others committed.
    const statuses = await Promise.all(writes.map((w) => w.then((r) => r.status)));
    assert.ok(statuses.filter((s) => s === 201).length > 0);
    await verifiedLog(c);
    assert.equal(await queued(), 0);
  });

  test('a replica that closes hands sequencing to the others', async () => {
    const d = await startGateway({
      dialect: 'postgres',
      reuse: { dir: a.dir, databaseUrl: a.databaseUrl },
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => submit(d)));
    for (const r of results) assert.equal(r.status, 201, JSON.stringify(r.body));
    await d.close({ keep: true });
    const entries = await verifiedLog(a);
    const ids = new Set(entries.map((e) => e.request_id));
    for (const r of results) assert.ok(ids.has(r.body.id));
    assert.equal(await queued(), 0);
  });
});
