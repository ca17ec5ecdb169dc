import { ROOT_CONTEXT, SpanKind, defaultTextMapSetter, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** A policy whose approvals take hours, so the wait span is measured on the injected clock. */
export const OTEL_POLICY = `version: 1
defaults:
  decision: deny
  approval: { timeout: 30m, on_timeout: deny }
rules:
  - id: prod-large-export
    match: { action: db.export, environment: production }
    when: params.rows > 10000
    require_approval: { from: [data-owners], quorum: 2, timeout: 8h }
  - id: small-export
    match: { action: db.export }
    when: params.rows <= 10000
    decision: allow
  - id: restarts
    match: { action: k8s.rollout.restart }
    require_approval: { from: [sre-oncall], timeout: 1h }
`;

/** An agent framework's side: its own provider, as an instrumented agent would have. */
export function agentTracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return provider.getTracer('agent-framework');
}

/**
 * The `execute_tool` span of an agent (OpenTelemetry GenAI semantic conventions, "Execute tool
 * span") and the W3C Trace Context headers it sends with the tool's approval request.
 */
export function executeToolSpan(toolName: string, callId: string) {
  const span = agentTracer().startSpan(`execute_tool ${toolName}`, {
    kind: SpanKind.INTERNAL,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': toolName,
      'gen_ai.tool.call.id': callId,
    },
  });
  const headers: Record<string, string> = {};
  new W3CTraceContextPropagator().inject(
    trace.setSpan(ROOT_CONTEXT, span),
    headers,
    defaultTextMapSetter,
  );
  return { span, headers, traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
}

/** Spans arrive after the commit (a context lookup may come first): wait for them. */
export async function spansNamed(
  exporter: InMemorySpanExporter,
  name: string,
  count = 1,
  filter: (s: ReadableSpan) => boolean = () => true,
): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = exporter.getFinishedSpans().filter((s) => s.name === name && filter(s));
    if (found.length >= count) return found;
    if (Date.now() > deadline) {
      const names = exporter.getFinishedSpans().map((s) => s.name);
      throw new Error(`expected ${count} ${name} span(s); have ${names.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
