import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { propagation, trace } from '@opentelemetry/api';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIRECTORY, startGateway } from './harness.js';
import { createGateway, resolveConfig } from '../src/index.js';
import { OTEL_POLICY, executeToolSpan } from './otel-helpers.js';
import { tracingConfigFromEnv } from '../src/telemetry/tracing-from-env.js';
import { FLUSH_LIMIT_MS } from '../src/telemetry/gateway-tracing.js';

/**
 * Tracing configured only through the OpenTelemetry SDK environment (OpenTelemetry
 * Specification, "Environment Variable Specification"), exported by OTLP/HTTP with JSON to a
 * real receiver on loopback. Each test file runs in its own process: the variables set here
 * and the global provider the gateway registers touch no other suite.
 */

const largeExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 50_000 },
};

/** Whether the OpenTelemetry API has a recording provider registered process-wide. */
const globalProviderRecords = () => {
  const span = trace.getTracer('probe').startSpan('probe');
  const recording = span.isRecording();
  span.end();
  return recording;
};

function setEnv(vars: Record<string, string>) {
  for (const [k, v] of Object.entries(vars)) process.env[k] = v;
}
function clearOtelEnv() {
  for (const k of Object.keys(process.env)) if (k.startsWith('OTEL_')) delete process.env[k];
}

interface OtlpJsonAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: OtlpJsonAttribute[];
}
interface OtlpJsonExport {
  resourceSpans: Array<{
    resource: { attributes: OtlpJsonAttribute[] };
    scopeSpans: Array<{ scope: { name: string }; spans: OtlpJsonSpan[] }>;
  }>;
}

describe('OpenTelemetry SDK environment', () => {
  before(clearOtelEnv);
  afterEach(clearOtelEnv);

  test('no OTEL_* environment: no tracer provider is registered and nothing is stored for tracing', async () => {
    const gw = await startGateway({ policy: OTEL_POLICY });
    try {
      assert.equal(globalProviderRecords(), false);
      assert.deepEqual(propagation.fields(), [], 'no propagator registered either');
      const tool = executeToolSpan('db_export', 'call_1');
      const res = await gw.call('POST', '/v1/actions', {
        token: await gw.token('agent', 'exporter'),
        body: largeExport,
        headers: tool.headers,
      });
      assert.equal(res.status, 201);
      const row = await gw.gateway.storage.db
        .selectFrom('actions')
        .select('trace_parent')
        .where('id', '=', res.body.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.trace_parent, null);
    } finally {
      await gw.close();
    }
  });

  test('Environment Variable Specification, general SDK configuration and exporter selection: when tracing is on', () => {
    const on = (env: Record<string, string>) => tracingConfigFromEnv(env)?.exporters;
    assert.equal(on({}), undefined, 'nothing configured: off (not the specification’s otlp)');
    assert.deepEqual(on({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), ['otlp']);
    assert.deepEqual(on({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }), [
      'otlp',
    ]);
    assert.deepEqual(on({ OTEL_TRACES_EXPORTER: 'otlp' }), ['otlp']);
    assert.deepEqual(on({ OTEL_TRACES_EXPORTER: ' OTLP , console,otlp' }), ['otlp', 'console']);
    assert.equal(
      on({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }),
      undefined,
    );
    for (const disabled of ['true', 'TRUE', ' True ']) {
      assert.equal(
        on({ OTEL_SDK_DISABLED: disabled, OTEL_TRACES_EXPORTER: 'otlp' }),
        undefined,
        disabled,
      );
    }
    // Only the case-insensitive "true" is true (§Parsing boolean values).
    assert.deepEqual(on({ OTEL_SDK_DISABLED: '1', OTEL_TRACES_EXPORTER: 'otlp' }), ['otlp']);
    assert.deepEqual(
      on({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      ['otlp'],
    );
    // A signal-specific protocol overrides the general one.
    assert.deepEqual(
      on({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      }),
      ['otlp'],
    );
    assert.throws(() => on({ OTEL_TRACES_EXPORTER: 'zipkin' }), /zipkin is not supported/);
    assert.throws(
      () => on({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
      /grpc is not supported/,
    );
    // A console exporter needs no OTLP protocol.
    assert.deepEqual(on({ OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), [
      'console',
    ]);
  });

  test('an OTEL_* environment the gateway cannot honour stops it at start, with the reason', async () => {
    setEnv({ OTEL_TRACES_EXPORTER: 'zipkin' });
    // Refused before the policy is read or the store opened: nothing here exists.
    const nowhere = join(tmpdir(), `countersign-otel-absent-${process.pid}`);
    const config = resolveConfig(
      { directory: DIRECTORY, policy: join(nowhere, 'policy.yaml'), data_dir: nowhere },
      nowhere,
      {},
    );
    await assert.rejects(createGateway(config), /OTEL_TRACES_EXPORTER=zipkin/);
    assert.equal(existsSync(nowhere), false);
    assert.equal(globalProviderRecords(), false);
  });

  test('an unreachable collector loses spans, never an answer: submissions succeed and the gateway closes within the flush limit', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    setEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_BSP_SCHEDULE_DELAY: '10',
    });
    const gw = await startGateway({ policy: OTEL_POLICY });
    try {
      const agent = await gw.token('agent', 'exporter');
      for (let i = 0; i < 3; i++) {
        const res = await gw.call('POST', '/v1/actions', { token: agent, body: largeExport });
        assert.equal(res.status, 201);
        await new Promise((r) => setTimeout(r, 30)); // let the batch processor try
      }
    } finally {
      const closing = Date.now();
      await gw.close();
      // The OTLP exporter would retry for its 10 s default timeout.
      assert.ok(
        Date.now() - closing < FLUSH_LIMIT_MS + 1_000,
        `closed in ${Date.now() - closing} ms`,
      );
    }
    assert.equal(globalProviderRecords(), false);
  });

  describe('a real OTLP/HTTP receiver on loopback, configured only through OTEL_*', () => {
    const received: Array<{ path: string; type: string; body: OtlpJsonExport }> = [];
    let receiver: Server;
    let endpoint: string;
    before(async () => {
      receiver = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({
            path: req.url ?? '',
            type: req.headers['content-type'] ?? '',
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpJsonExport,
          });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => receiver.close(() => r())));

    test('OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME: the approval’s spans arrive as OTLP JSON at {endpoint}/v1/traces, in the agent’s trace', async () => {
      setEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_SERVICE_NAME: 'countersign-otel-test',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      });
      const gw = await startGateway({ policy: OTEL_POLICY });
      let id: string;
      const tool = executeToolSpan('db_export', 'call_9');
      try {
        assert.equal(globalProviderRecords(), true, 'the provider is registered with the API');
        assert.deepEqual(propagation.fields(), ['traceparent', 'tracestate']);
        const agent = await gw.token('agent', 'exporter');
        const res = await gw.call('POST', '/v1/actions', {
          token: agent,
          body: largeExport,
          headers: tool.headers,
        });
        assert.equal(res.status, 201);
        id = res.body.id as string;
        for (const user of ['alice', 'frank']) {
          const vote = await gw.call('POST', `/v1/actions/${id}/votes`, {
            token: await gw.token('user', user),
            body: { vote: 'approve' },
          });
          assert.equal(vote.status, 200);
        }
      } finally {
        // Closing flushes the batch processor: everything is sent before close resolves.
        await gw.close();
      }
      assert.equal(globalProviderRecords(), false, 'unregistered on close');

      assert.ok(received.length > 0, 'the receiver got an export');
      for (const r of received) {
        assert.equal(r.path, '/v1/traces');
        assert.match(r.type, /^application\/json/);
      }
      const resources = received.flatMap((r) => r.body.resourceSpans);
      const serviceNames = new Set(
        resources.flatMap((rs) =>
          rs.resource.attributes
            .filter((a) => a.key === 'service.name')
            .map((a) => a.value.stringValue),
        ),
      );
      assert.deepEqual([...serviceNames], ['countersign-otel-test']);
      const spans = resources.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
      const ofRequest = spans.filter((s) =>
        s.attributes.some((a) => a.key === 'countersign.request.id' && a.value.stringValue === id),
      );
      const names = ofRequest.map((s) => s.name).sort();
      assert.deepEqual(names, [
        'countersign.approval.wait',
        'countersign.grant.issue',
        'countersign.request',
        'countersign.vote',
        'countersign.vote',
      ]);
      const request = ofRequest.find((s) => s.name === 'countersign.request');
      assert.equal(request?.parentSpanId, tool.spanId);
      for (const s of ofRequest) assert.equal(s.traceId, tool.traceId, s.name);
    });
  });
});
