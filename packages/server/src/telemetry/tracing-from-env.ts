import { DiagLogLevel, diag, propagation, trace, type TracerProvider } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector } from '@opentelemetry/resources';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** The instrumentation scope and default `service.name` of the gateway's spans. */
export const TRACER_NAME = 'countersign';

/** What the environment asks for: nothing (tracing off), or these exporters. */
export type TracingConfig = { exporters: Array<'otlp' | 'console'> } | undefined;

type Env = Record<string, string | undefined>;

const set = (env: Env, name: string) => (env[name] ?? '').trim() !== '';

/**
 * Reads the OpenTelemetry SDK environment (OpenTelemetry Specification, "Environment Variable
 * Specification": general SDK configuration and exporter selection). Off unless asked for:
 * `OTEL_TRACES_EXPORTER` names an exporter, or an OTLP endpoint is set. The specification's
 * default exporter is `otlp`; a gateway that starts sending to localhost:4318 because nothing was
 * configured would surprise whoever runs it, so an unset environment means no tracing at all.
 * Throws on values it cannot honour: the gateway refuses to start rather than silently drop
 * the traces someone configured.
 */
export function tracingConfigFromEnv(env: Env = process.env): TracingConfig {
  // §General SDK Configuration: a boolean is true only for the case-insensitive string "true".
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return undefined;
  const named = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const endpoint =
    set(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') || set(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  const wanted = named.length > 0 ? named : endpoint ? ['otlp'] : [];
  // §Exporter Selection: "none" means no exporter is configured.
  if (wanted.length === 0 || wanted.includes('none')) return undefined;
  const exporters: Array<'otlp' | 'console'> = [];
  for (const name of new Set(wanted)) {
    if (name !== 'otlp' && name !== 'console') {
      throw new Error(
        `OTEL_TRACES_EXPORTER=${name} is not supported: use otlp (OTLP/HTTP with JSON), console or none`,
      );
    }
    exporters.push(name);
  }
  if (exporters.includes('otlp')) {
    const protocol = (
      env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
      env.OTEL_EXPORTER_OTLP_PROTOCOL ??
      'http/json'
    ).trim();
    if (protocol !== 'http/json') {
      throw new Error(
        `OTLP protocol ${protocol} is not supported for traces: the gateway sends http/json ` +
          '(set OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http/json; collectors accept it on 4318)',
      );
    }
  }
  return { exporters };
}

/** A tracer provider the gateway owns: flushed and shut down when the gateway closes. */
export interface TracingSetup {
  provider: TracerProvider;
  /**
   * Unregisters the provider if it was registered, exports what is buffered and stops it.
   * Rejects if the export failed.
   */
  shutdown(): Promise<void>;
}

/**
 * The provider for `config` (from the environment), or one exporting to `exporter` (tests:
 * synchronously, not registered globally). Exporter settings the OTLP exporter reads itself
 * (endpoint, headers, timeout, certificates), the sampler (`OTEL_TRACES_SAMPLER`), the batch
 * processor (`OTEL_BSP_*`), limits and `OTEL_SERVICE_NAME` / `OTEL_RESOURCE_ATTRIBUTES` come
 * from the environment through the SDK. An environment-configured provider is also registered
 * with the OpenTelemetry API (with the W3C Trace Context propagator), so code using the global
 * API joins the same pipeline; the gateway's own spans never depend on the global one. The
 * SDK's own warnings and errors (a collector that refuses an export) go to `warn`.
 */
export function openTracing(
  config: TracingConfig,
  exporter: SpanExporter | undefined,
  warn: (message: string) => void = () => undefined,
): TracingSetup | undefined {
  const processors: SpanProcessor[] = [];
  if (exporter) processors.push(new SimpleSpanProcessor(exporter));
  else if (config) {
    for (const name of config.exporters) {
      processors.push(
        name === 'otlp'
          ? new BatchSpanProcessor(new OTLPTraceExporter())
          : new SimpleSpanProcessor(new ConsoleSpanExporter()),
      );
    }
  }
  if (processors.length === 0) return undefined;
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (envDetector) win over our defaults.
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': TRACER_NAME }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  let registered = false;
  if (!exporter) {
    // The first gateway of a process registers; a second one (tests) keeps its own provider.
    registered = trace.setGlobalTracerProvider(provider);
    if (registered) {
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
      const say = (message: string) => warn(`OpenTelemetry: ${message}`);
      const quiet = () => undefined;
      diag.setLogger(
        { error: say, warn: say, info: quiet, debug: quiet, verbose: quiet },
        DiagLogLevel.WARN,
      );
    }
  }
  return {
    provider,
    async shutdown() {
      // The gateway's spans never use the global API: it is released first, whatever the flush.
      if (registered) {
        trace.disable();
        propagation.disable();
        diag.disable();
      }
      await provider.forceFlush();
      await provider.shutdown();
    },
  };
}
