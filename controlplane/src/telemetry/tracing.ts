// OpenTelemetry: a tracer provider exporting over OTLP/HTTP (or nothing), W3C propagation, and
// helpers to carry a run's trace through Postgres as a traceparent string.
import { hostname } from "node:os";
import { context, propagation, trace, type Span } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces; unset exports nothing. */
  otlpEndpoint?: string;
  /** An exporter to use instead (tests use an in-memory one). */
  exporter?: SpanExporter;
  serviceName?: string;
}

/**
 * Registers the global tracer provider; returns its shutdown. With nowhere to export, nothing is
 * registered: the API's no-op tracer then costs nothing on the fire and dispatch paths, and runs
 * carry no traceparent.
 */
export function setupTracing(options: TracingOptions): () => Promise<void> {
  if (!options.exporter && !options.otlpEndpoint) return async () => {};
  enabled = true;
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  if (options.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpEndpoint })));
  const provider = new NodeTracerProvider({
    // OTEL_SERVICE_NAME wins, as the spec says; the instance tells replicas apart.
    resource: resourceFromAttributes({
      "service.name": process.env.OTEL_SERVICE_NAME ?? options.serviceName ?? "taskplane",
      "service.instance.id": `${hostname()}:${process.pid}`,
      "host.name": hostname(),
    }),
    spanProcessors: processors,
  });
  provider.register();
  return () => {
    enabled = false;
    return provider.shutdown();
  };
}

let enabled = false;

/** Whether spans are recorded: extra instrumentation (the store's spans) is only wired when they are. */
export const tracingEnabled = () => enabled;

export const tracer = () => trace.getTracer("taskplane");

/** The active span's W3C traceparent, to store on a run. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Records a span for one step of a run, as a child of the run's stored trace. */
export function recordRunStep(
  name: string,
  traceparent: string | undefined,
  attributes: Record<string, string | number>,
  startTime?: Date,
): void {
  const parent = traceparent ? propagation.extract(context.active(), { traceparent }) : context.active();
  tracer().startSpan(name, { attributes, startTime }, parent).end();
}

/**
 * Starts the trace of a run the scheduler creates (a recurring schedule's next fire) and returns
 * its traceparent. A trace per fire keeps traces bounded; the link to the previous fire's trace
 * leads back, fire by fire, to the call that created the task.
 */
export function newRunTrace(attributes: Record<string, string | number>, previousTraceparent?: string): string | undefined {
  const previous = previousTraceparent && trace.getSpanContext(propagation.extract(context.active(), { traceparent: previousTraceparent }));
  const span = tracer().startSpan("run.scheduled", { attributes, root: true, links: previous ? [{ context: previous }] : [] });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  span.end();
  return carrier.traceparent;
}

/** Runs `fn` in a span that continues a stored traceparent (or starts a new trace without one). */
export function inRunSpan<T>(
  name: string,
  traceparent: string | undefined,
  attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = traceparent ? propagation.extract(context.active(), { traceparent }) : context.active();
  return tracer().startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } finally {
      span.end();
    }
  });
}
