import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { LifecycleTracer, type LifecycleTracerDeps } from './lifecycle-tracer.js';
import { openTracing, type TracingConfig } from './tracing-from-env.js';

/** A gateway's tracing: its lifecycle spans and the provider they go to. */
export interface GatewayTracing {
  tracer: LifecycleTracer;
  /**
   * Makes the spans still waiting for their context, then flushes and stops the provider.
   * Never rejects: a failed export is reported to `onError`.
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
      await setup.shutdown().catch(deps.onError);
    },
  };
}
