import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OTEL_POLICY, executeToolSpan, spansNamed } from './otel-helpers.js';
import { startGateway, type TestGateway } from './harness.js';
import { SPAN } from '../src/telemetry/lifecycle-tracer.js';

const of = (id: string) => (s: ReadableSpan) => s.attributes['countersign.request.id'] === id;
const ms = (hr: [number, number]) => hr[0] * 1000 + hr[1] / 1e6;

const largeExport = {
  action: 'db.export',
  resource: 'postgres://prod/customers',
  environment: 'production',
  params: { rows: 50_000, note: 'SECRET-PARAM-TEXT' },
  justification: 'SECRET-JUSTIFICATION-TEXT',
  risk: 'high',
};

describe('OpenTelemetry traces of the approval lifecycle', () => {
  const exporter = new InMemorySpanExporter();
  let clock = Date.UTC(2026, 0, 15, 9, 0, 0);
  let gw: TestGateway;
  let agent: string;
  let alice: string;
  let bob: string;
  let frank: string;
  before(async () => {
    gw = await startGateway({ policy: OTEL_POLICY, traceExporter: exporter, now: () => clock });
    agent = await gw.token('agent', 'exporter');
    alice = await gw.token('user', 'alice');
    bob = await gw.token('user', 'bob');
    frank = await gw.token('user', 'frank');
  });
  after(() => gw.close());

  test('W3C Trace Context §3.2: a submit carrying an execute_tool span’s traceparent is a child of it, and the whole approval stays in that trace', async () => {
    const tool = executeToolSpan('db_export', 'call_7f3a');
    const submitted = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: largeExport,
      headers: tool.headers,
    });
    assert.equal(submitted.status, 201, JSON.stringify(submitted.body));
    const id = submitted.body.id as string;

    const [request] = await spansNamed(exporter, SPAN.submit, 1, of(id));
    assert.ok(request);
    assert.equal(request.spanContext().traceId, tool.traceId);
    assert.equal(request.parentSpanContext?.spanId, tool.spanId);
    assert.equal(request.kind, SpanKind.SERVER);
    assert.deepEqual(
      {
        action: request.attributes['countersign.action'],
        resource: request.attributes['countersign.resource'],
        environment: request.attributes['countersign.environment'],
        decision: request.attributes['countersign.decision'],
        rules: request.attributes['countersign.rule_ids'],
        risk: request.attributes['countersign.risk'],
        status: request.attributes['countersign.status'],
      },
      {
        action: 'db.export',
        resource: 'postgres://prod/customers',
        environment: 'production',
        decision: 'require_approval',
        rules: ['prod-large-export'],
        risk: 'high',
        status: 'pending',
      },
    );
    // The request row keeps the submission span's context (migration 0012).
    const row = await gw.gateway.storage.db
      .selectFrom('actions')
      .select('trace_parent')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.trace_parent, `00-${tool.traceId}-${request.spanContext().spanId}-01`);

    // The humans take 90 minutes; one of them may not vote (bob owns the agent).
    clock += 45 * 60_000;
    const first = await gw.call('POST', `/v1/actions/${id}/votes`, {
      token: alice,
      body: { vote: 'approve', comment: 'SECRET-COMMENT-TEXT' },
    });
    assert.equal(first.status, 200);
    const selfApproval = await gw.call('POST', `/v1/actions/${id}/votes`, {
      token: bob,
      body: { vote: 'approve' },
    });
    assert.equal(selfApproval.body.code, 'self_approval_forbidden');
    clock += 45 * 60_000;
    const second = await gw.call('POST', `/v1/actions/${id}/votes`, {
      token: frank,
      body: { vote: 'approve' },
    });
    assert.equal(second.body.status, 'approved');

    const votes = await spansNamed(exporter, SPAN.vote, 3, of(id));
    const byApprover = new Map(votes.map((v) => [v.attributes['countersign.vote.approver'], v]));
    assert.deepEqual(
      [...byApprover.keys()].sort(),
      ['alice', 'bob', 'frank'],
      'every vote, refused ones too, is a span',
    );
    assert.equal(byApprover.get('alice')?.attributes['countersign.vote.outcome'], 'counted');
    assert.equal(byApprover.get('alice')?.attributes['countersign.vote.channel'], 'api');
    assert.equal(byApprover.get('alice')?.attributes['countersign.vote.choice'], 'approve');
    assert.equal(byApprover.get('bob')?.attributes['countersign.vote.outcome'], 'refused');
    assert.equal(
      byApprover.get('bob')?.attributes['countersign.vote.refusal_code'],
      'self_approval_forbidden',
    );

    const [wait] = await spansNamed(exporter, SPAN.wait, 1, of(id));
    assert.ok(wait);
    assert.equal(ms(wait.duration), 90 * 60_000, 'the wait is the humans’ 90 minutes');
    assert.equal(wait.attributes['countersign.status'], 'approved');
    assert.equal(wait.attributes['countersign.decided_by'], 'user');

    const [issued] = await spansNamed(exporter, SPAN.grantIssue, 1, of(id));
    assert.ok(issued);
    assert.equal(issued.attributes['countersign.grant.basis'], 'quorum');
    assert.equal(issued.attributes['countersign.grant.approvers'], 2);

    const grant = (await gw.call('GET', `/v1/actions/${id}`, { token: agent })).body.grant
      .token as string;
    const redeemed = await gw.call('POST', '/v1/grants/redeem', {
      token: agent,
      body: { grant },
    });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    const reported = await gw.call('POST', `/v1/actions/${id}/result`, {
      token: agent,
      body: { outcome: 'completed', detail: { note: 'SECRET-RESULT-TEXT' } },
    });
    assert.equal(reported.status, 200, JSON.stringify(reported.body));
    const [redeem] = await spansNamed(exporter, SPAN.grantRedeem, 1, of(id));
    const [result] = await spansNamed(exporter, SPAN.result, 1, of(id));
    assert.equal(result?.attributes['countersign.result.outcome'], 'completed');

    // One trace, the agent's: every later span is a child of the stored submission context.
    const later = [...votes, wait, issued, redeem, result];
    for (const s of later) {
      assert.ok(s);
      assert.equal(s.spanContext().traceId, tool.traceId, s.name);
      assert.equal(s.parentSpanContext?.spanId, request.spanContext().spanId, s.name);
    }
    // No free text the agent or a reviewer wrote, and no grant, in any attribute.
    const attributes = JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes));
    for (const secret of ['SECRET-', grant, grant.split('.')[2] ?? grant]) {
      assert.ok(!attributes.includes(secret), `an attribute holds ${secret.slice(0, 20)}`);
    }
  });

  test('a request allowed by policy: the submit span carries the decision and its grant, and nobody is waited for', async () => {
    const res = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'postgres://prod/customers', params: { rows: 5 } },
    });
    assert.equal(res.body.status, 'approved');
    const id = res.body.id as string;
    const [request] = await spansNamed(exporter, SPAN.submit, 1, of(id));
    assert.equal(request?.attributes['countersign.decision'], 'allow');
    assert.deepEqual(request?.attributes['countersign.rule_ids'], ['small-export']);
    assert.equal(request?.parentSpanContext, undefined, 'no traceparent: a new trace');
    const [issued] = await spansNamed(exporter, SPAN.grantIssue, 1, of(id));
    assert.equal(issued?.attributes['countersign.grant.basis'], 'policy');
    assert.equal(issued?.parentSpanContext?.spanId, request?.spanContext().spanId);
    assert.equal(
      exporter.getFinishedSpans().filter((s) => s.name === SPAN.wait && of(id)(s)).length,
      0,
    );
  });

  test('a request nobody decides expires on the timer: the wait span ends at the expiry, decided by the system', async () => {
    const tool = executeToolSpan('k8s_restart', 'call_1');
    const res = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'k8s.rollout.restart', resource: 'k8s://prod/payments/deploy/api' },
      headers: tool.headers,
    });
    assert.equal(res.body.status, 'pending');
    const id = res.body.id as string;
    clock += 2 * 3600_000;
    const [wait] = await spansNamed(exporter, SPAN.wait, 1, of(id));
    assert.ok(wait);
    assert.equal(wait.attributes['countersign.status'], 'expired');
    assert.equal(wait.attributes['countersign.decided_by'], 'system');
    assert.equal(wait.spanContext().traceId, tool.traceId);
    assert.ok(ms(wait.duration) >= 3600_000, 'from submission to the expiry at 1 h or later');
  });

  test('W3C Trace Context §3.2.2.5.1: an agent that did not sample its trace gets no spans for the whole approval, on any later step', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: largeExport,
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-00` },
    });
    assert.equal(res.status, 201);
    const id = res.body.id as string;
    const row = await gw.gateway.storage.db
      .selectFrom('actions')
      .select('trace_parent')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.match(row.trace_parent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    const denied = await gw.call('POST', `/v1/actions/${id}/votes`, {
      token: alice,
      body: { vote: 'deny', comment: 'no' },
    });
    assert.equal(denied.body.status, 'denied');
    // The spans of the deny are made right after its commit: a later request's are after them.
    const marker = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'postgres://prod/x', params: { rows: 1 } },
    });
    await spansNamed(exporter, SPAN.submit, 1, of(marker.body.id));
    assert.deepEqual(
      exporter
        .getFinishedSpans()
        .filter((s) => s.spanContext().traceId === traceId || of(id)(s))
        .map((s) => s.name),
      [],
    );
  });

  test('an agent that cancels: the wait span ends at the cancellation, decided by the agent', async () => {
    const res = await gw.call('POST', '/v1/actions', { token: agent, body: largeExport });
    const id = res.body.id as string;
    clock += 5 * 60_000;
    const cancelled = await gw.call('POST', `/v1/actions/${id}/cancel`, {
      token: agent,
      body: { reason: 'SECRET-CANCEL-REASON' },
    });
    assert.equal(cancelled.body.status, 'cancelled', JSON.stringify(cancelled.body));
    const [wait] = await spansNamed(exporter, SPAN.wait, 1, of(id));
    assert.equal(wait?.attributes['countersign.status'], 'cancelled');
    assert.equal(wait?.attributes['countersign.decided_by'], 'agent');
    assert.equal(ms(wait?.duration ?? [0, 0]), 5 * 60_000);
    assert.ok(!JSON.stringify(wait?.attributes).includes('SECRET'));
  });

  test('W3C Trace Context §4.3: a malformed or invalid traceparent from the caller is ignored: a new trace, the request is answered as usual', async () => {
    for (const traceparent of [
      '00-00000000000000000000000000000000-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `00-${'z'.repeat(32)}-00f067aa0ba902b7-01`,
      'x'.repeat(5000),
    ]) {
      const res = await gw.call('POST', '/v1/actions', {
        token: agent,
        body: { action: 'db.export', resource: 'postgres://prod/x', params: { rows: 1 } },
        headers: { traceparent, tracestate: 'a=b' },
      });
      assert.equal(res.status, 201);
      const [request] = await spansNamed(exporter, SPAN.submit, 1, of(res.body.id));
      assert.equal(request?.parentSpanContext, undefined, traceparent.slice(0, 60));
      assert.notEqual(request?.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    }
  });

  test('a refused submission ends its span as an error with the stable code only', async () => {
    const res = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'x', idempotency_key: 'k1', params: { rows: 1 } },
    });
    assert.equal(res.status, 201);
    const conflict = await gw.call('POST', '/v1/actions', {
      token: agent,
      body: { action: 'db.export', resource: 'x', idempotency_key: 'k1', params: { rows: 2 } },
    });
    assert.equal(conflict.status, 409);
    const [failed] = await spansNamed(
      exporter,
      SPAN.submit,
      1,
      (s) => s.status.code === SpanStatusCode.ERROR,
    );
    assert.equal(failed?.attributes['error.type'], 'idempotency_conflict');
    assert.equal(failed?.status.message, undefined);
  });
});
