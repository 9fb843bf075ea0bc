import { context, type Context, propagation, ROOT_CONTEXT, type Span, type SpanOptions, trace, type Tracer } from '@opentelemetry/api';

/** A trace context as W3C's headers carry it, and as a job carries it across the queue (`ChatRunJob.trace`). */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

interface Started {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

let started: Started | null = null;

/**
 * Whether spans are recorded in this process. Read before any tracing work on a hot path: with no OTLP endpoint
 * configured nothing of the SDK is loaded and a run pays for this one check.
 */
export function tracingEnabled(): boolean {
  return started !== null;
}

/** The endpoint tracing exports to, from the standard variables; null: tracing stays off. */
function otlpEndpoint(env: NodeJS.ProcessEnv): string | null {
  return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || null;
}

/**
 * Starts OpenTelemetry tracing when an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT`, or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`): spans go by OTLP over HTTP (JSON) in batches, context follows async
 * calls (AsyncLocalStorage) and W3C `traceparent` headers. The exporter reads the other standard variables itself
 * (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, …), this reads `OTEL_BSP_SCHEDULE_DELAY`; `OTEL_SERVICE_NAME` names the service
 * (default `switchboard`). Once per process: the all-in-one start runs every app under one provider.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (started) return true;
  if (!otlpEndpoint(env)) return false;
  // Loaded only when used: an install without tracing never pays for the SDK's start-up or memory.
  const [{ TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/core'),
      import('@opentelemetry/resources'),
    ]);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // SDK 3 reads no OTEL_BSP_* variable itself; the schedule delay is the one worth honouring (tests, short jobs).
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || 'switchboard' }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...(delay > 0 ? { scheduledDelayMillis: delay } : {}) })],
  });
  trace.setGlobalTracerProvider(provider);
  started = { tracer: trace.getTracer('switchboard'), shutdown: () => provider.shutdown() };
  return true;
}

/** Sends what is still buffered and stops tracing (at shutdown). */
export async function stopTracing(): Promise<void> {
  const s = started;
  started = null;
  await s?.shutdown().catch(() => undefined);
  if (s) {
    trace.disable();
    context.disable();
    propagation.disable();
  }
}

/** A span started under `parent` (default: the active context), or null while tracing is off. */
export function startSpan(name: string, options: SpanOptions, parent: Context = context.active()): Span | null {
  return started ? started.tracer.startSpan(name, options, parent) : null;
}

/** Runs `fn` with `span` as the active span (so its callees' spans and log lines join its trace). */
export function withSpan<T>(span: Span | null, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/** The context a carrier (request headers, a job's `trace`) says its caller was in. */
export function extractTrace(carrier: TraceCarrier | NodeJS.Dict<string | string[]> | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** `span`'s context as a carrier to send along; undefined while tracing is off (no span). */
export function injectTrace(span: Span | null): TraceCarrier | undefined {
  if (!span) return undefined;
  const carrier: Partial<TraceCarrier> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier.traceparent ? { traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) } : undefined;
}

const NO_FIELDS = {};

/** `trace_id` and `span_id` of the active span, for every log line written inside one (pino's mixin). */
export function traceLogFields(): Record<string, string> {
  if (!started) return NO_FIELDS;
  const span = trace.getActiveSpan()?.spanContext();
  return span ? { trace_id: span.traceId, span_id: span.spanId } : NO_FIELDS;
}
