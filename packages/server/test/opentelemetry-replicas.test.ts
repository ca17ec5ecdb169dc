import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { postgresAvailable, startGateway, type TestGateway } from './harness.js';
import { OTEL_POLICY, executeToolSpan, spansNamed } from './otel-helpers.js';
import { SPAN } from '../src/telemetry/lifecycle-tracer.js';

/**
 * An approval decided somewhere else than where it was asked: on another replica, or after a
 * restart. The later spans find the submission's context in the store (migration 0012), so the
 * agent's trace holds the whole approval whichever process made each part of it.
 */

const largeExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 50_000 },
};
const of = (id: string) => (s: ReadableSpan) => s.attributes['countersign.request.id'] === id;

/** A store of our own: a PostgreSQL database named for this suite, and its directory. */
async function otelStore(dialect: 'sqlite' | 'postgres') {
  const dir = mkdtempSync(join(tmpdir(), 'countersign-otel-'));
  writeFileSync(join(dir, 'policy.yaml'), OTEL_POLICY);
  if (dialect === 'sqlite') return { dir, databaseUrl: undefined };
  const admin = process.env.COUNTERSIGN_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `cs_otel_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { dir, databaseUrl: url.toString() };
}

/** Submits on `submitOn`, approves on `approveOn`; the spans of both, in one trace. */
async function approveElsewhere(
  submitOn: { gw: TestGateway; spans: InMemorySpanExporter },
  approveOn: () => Promise<{ gw: TestGateway; spans: InMemorySpanExporter }>,
) {
  const tool = executeToolSpan('db_export', 'call_replica');
  const agent = await submitOn.gw.token('agent', 'exporter');
  const res = await submitOn.gw.call('POST', '/v1/actions', {
    token: agent,
    body: largeExport,
    headers: tool.headers,
  });
  assert.equal(res.status, 201);
  const id = res.body.id as string;
  const [request] = await spansNamed(submitOn.spans, SPAN.submit, 1, of(id));
  assert.ok(request);
  const other = await approveOn();
  for (const user of ['alice', 'frank']) {
    const vote = await other.gw.call('POST', `/v1/actions/${id}/votes`, {
      token: await other.gw.token('user', user),
      body: { vote: 'approve' },
    });
    assert.equal(vote.status, 200, JSON.stringify(vote.body));
  }
  const later = [
    ...(await spansNamed(other.spans, SPAN.vote, 2, of(id))),
    ...(await spansNamed(other.spans, SPAN.wait, 1, of(id))),
    ...(await spansNamed(other.spans, SPAN.grantIssue, 1, of(id))),
  ];
  for (const s of later) {
    assert.equal(s.spanContext().traceId, tool.traceId, s.name);
    assert.equal(s.parentSpanContext?.spanId, request.spanContext().spanId, s.name);
  }
  // The other process made none of the submission's spans.
  assert.equal(other.spans.getFinishedSpans().filter((s) => s.name === SPAN.submit).length, 0);
}

describe('trace context across replicas (postgres)', { skip: !(await postgresAvailable()) }, () => {
  const spansA = new InMemorySpanExporter();
  const spansB = new InMemorySpanExporter();
  let a: TestGateway;
  let b: TestGateway;
  before(async () => {
    const reuse = await otelStore('postgres');
    a = await startGateway({ dialect: 'postgres', reuse, traceExporter: spansA });
    b = await startGateway({ dialect: 'postgres', reuse, traceExporter: spansB });
  });
  after(async () => {
    await b.close({ keep: true });
    await a.close();
  });

  test('W3C Trace Context: submitted on replica A, approved on replica B: B’s spans are children of A’s submission span, in the agent’s trace', async () => {
    await approveElsewhere({ gw: a, spans: spansA }, () =>
      Promise.resolve({ gw: b, spans: spansB }),
    );
  });
});

describe('trace context across a restart (sqlite)', () => {
  let first: TestGateway;
  let second: TestGateway | undefined;
  const before1 = new InMemorySpanExporter();
  const after1 = new InMemorySpanExporter();
  before(async () => {
    first = await startGateway({ reuse: await otelStore('sqlite'), traceExporter: before1 });
  });
  after(async () => {
    await second?.close();
  });

  test('submitted before a restart, approved after it: the new process continues the stored trace', async () => {
    await approveElsewhere({ gw: first, spans: before1 }, async () => {
      await first.close({ keep: true });
      second = await startGateway({
        reuse: { dir: first.dir, databaseUrl: undefined },
        traceExporter: after1,
      });
      return { gw: second, spans: after1 };
    });
  });
});
