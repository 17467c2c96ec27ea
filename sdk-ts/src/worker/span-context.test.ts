import { ProxyTracerProvider, ROOT_CONTEXT, TraceFlags, trace } from "@opentelemetry/api";
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { contextWith } from "./span-context.js";

/** The run's trace, as a worker extracts it from an assignment's traceparent. */
const parentSpan = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED, isRemote: true };
const remoteParent = trace.setSpanContext(ROOT_CONTEXT, parentSpan);
/** The API's tracer with no provider registered: what a worker gets with tracing off. */
const noopTracer = new ProxyTracerProvider().getTracer("test");

describe("contextWith", () => {
  it("keeps the parent context when tracing is off, so the handler still sees the run's trace", () => {
    for (const parent of [remoteParent, ROOT_CONTEXT]) {
      const span = noopTracer.startSpan("run.execute", {}, parent);
      expect(contextWith(parent, span)).toBe(parent);
    }
    expect(trace.getSpanContext(contextWith(remoteParent, noopTracer.startSpan("x", {}, remoteParent)))).toEqual(parentSpan);
  });

  it("puts a recorded span in the context, as the handler's parent", () => {
    const span = new BasicTracerProvider({ sampler: new AlwaysOnSampler() }).getTracer("test").startSpan("run.execute", {}, remoteParent);
    const active = contextWith(remoteParent, span);
    expect(trace.getSpan(active)).toBe(span);
    expect(trace.getSpanContext(active)?.traceId).toBe(parentSpan.traceId);
    span.end();
  });

  it("puts a span a tracer sampled out in the context, so calls the handler makes carry that decision", () => {
    const span = new BasicTracerProvider({ sampler: new AlwaysOffSampler() }).getTracer("test").startSpan("run.execute", {}, remoteParent);
    expect(span.isRecording()).toBe(false);
    const active = trace.getSpanContext(contextWith(remoteParent, span))!;
    expect(active.traceId).toBe(parentSpan.traceId);
    expect(active.spanId).not.toBe(parentSpan.spanId);
    expect(active.traceFlags & TraceFlags.SAMPLED).toBe(0);
  });
});
