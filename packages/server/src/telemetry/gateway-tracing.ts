import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { LifecycleTracer, type LifecycleTracerDeps } from './lifecycle-tracer.js';
import { openTracing, type TracingConfig } from './tracing-from-env.js';

/** How long closing waits for the last spans to be exported: well inside the 5 s graceful stop. */
export const FLUSH_LIMIT_MS = 2_000;

/** A gateway's tracing: its lifecycle spans and the provider they go to. */
export interface GatewayTracing {
  tracer: LifecycleTracer;
  /**
   * Makes the spans still waiting for their context, then flushes and stops the provider, for
   * at most FLUSH_LIMIT_MS. Never rejects: a failed or late export is reported to `onError`.
   */
  close(): Promise<void>;
}

/**
 * Tracing for one gateway, or undefined when it is off (`config` from the environment is
 * undefined and no exporter is injected): then no provider exists and nothing is traced.
 */
export function openGatewayTracing(
  config: TracingConfig,
  exporter: SpanExporter | undefined,
  deps: Omit<LifecycleTracerDeps, 'provider'> & { warn: (message: string) => void },
): GatewayTracing | undefined {
  const setup = openTracing(config, exporter, deps.warn);
  if (!setup) return undefined;
  const tracer = new LifecycleTracer({ ...deps, provider: setup.provider });
  return {
    tracer,
    async close() {
      await tracer.drain();
      // An unreachable collector loses the last spans; it never holds up the gateway's stop
      // (the OTLP exporter retries until its timeout, 10 s by default).
      let timer: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          deps.onError(new Error(`traces not flushed within ${FLUSH_LIMIT_MS} ms; dropped`));
          resolve();
        }, FLUSH_LIMIT_MS);
      });
      await Promise.race([setup.shutdown().catch(deps.onError), limit]);
      clearTimeout(timer);
    },
  };
}
