// Structured JSON logs (pino), one line per event. Lines logged inside a traced call carry its
// trace and span ids; lines about a run carry the run's own (runFields).
import { trace } from "@opentelemetry/api";
import { pino, type DestinationStream, type Logger } from "pino";

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      mixin() {
        const span = trace.getActiveSpan()?.spanContext();
        return span ? { traceId: span.traceId, spanId: span.spanId } : {};
      },
    },
    destination,
  );
}

/** The ids a log line about a run carries: task, run, attempt, and the run's trace and span (not the call's). */
export function runFields(run: { taskId?: string; runId: string; attempt?: number; traceparent?: string }) {
  const [, traceId, spanId] = run.traceparent?.split("-") ?? [];
  return { taskId: run.taskId, runId: run.runId, attempt: run.attempt, traceId, spanId };
}
