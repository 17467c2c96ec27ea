// Runs one assignment: the handler with its context, background heartbeats, buffered logs,
// the start-to-close deadline, and the result report.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Assignment, WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { AttemptLostError, CancelledError, DeadlineExceededError, NonRetryableError } from "../errors.js";
import { AttemptAbort } from "./attempt-abort.js";
import type { AttemptTicker } from "./attempt-ticker.js";
import { Heartbeats } from "./heartbeats.js";
import { LogBuffer } from "./log-buffer.js";
import { encodeResult } from "../payload.js";
import type { PayloadCodec } from "../payload-codec.js";
import type { ResultReporter, RunReportInit } from "./result-reporter.js";
import { contextWith } from "./span-context.js";
import { TaskContext } from "./task-context.js";

export type Handler = (payload: unknown, ctx: TaskContext) => unknown;

export interface AttemptDeps {
  client: Client<typeof WorkerService>;
  reporter: ResultReporter;
  /** The worker's running attempts: it aborts them all when its shutdown grace period ends. */
  running: Set<AttemptAbort>;
  /** One timer for every attempt's heartbeats and deadline. */
  ticker: AttemptTicker;
  /** Decodes each assignment's payload (the worker's codec), so one that will not decode fails only its own attempt. */
  codec?: PayloadCodec;
}

/** Runs an assignment; one handed out ahead of its start time is made ready, then started when `startGate` resolves. */
export async function runAttempt(received: Assignment, handler: Handler | undefined, deps: AttemptDeps, startGate?: Promise<void>): Promise<void> {
  let assignment = received;
  if (deps.codec && received.payload) {
    try {
      assignment = { ...received, payload: { ...received.payload, ...(await deps.codec.decode(received.payload)) } };
    } catch (e) {
      const error = new NonRetryableError(`the payload could not be decoded: ${e instanceof Error ? e.message : String(e)}`, "PayloadCodecError");
      void deps.reporter.report(reportOf(received, { ok: false, error }, new AttemptAbort()));
      return;
    }
  }
  const abort = new AttemptAbort();
  deps.running.add(abort);
  const beats = new Heartbeats(assignment, deps.client, abort);
  const logs = new LogBuffer(assignment, deps.client);
  const deadline = assignment.deadline ? timestampMs(assignment.deadline) : Infinity;
  const watch = (now: number) => (now >= deadline ? abort.abort(new DeadlineExceededError()) : beats.tick(now));
  const ctx = new TaskContext(assignment, abort, { heartbeat: (d) => beats.beat(d), log: (m) => logs.add(m) });
  const execute = prepareExecution(handler, ctx, abort, assignment);
  try {
    if (startGate) await startGate;
    deps.ticker.add(watch);
    const result = await execute();
    await logs.flush();
    if (abort.reason instanceof AttemptLostError) return;
    // Handed over, not awaited: the reporter retries until the server answers, and the slot is
    // free for the next poll meanwhile.
    void deps.reporter.report(reportOf(assignment, result, abort));
  } finally {
    deps.ticker.delete(watch);
    logs.stop();
    deps.running.delete(abort);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const tracer = trace.getTracer("taskplane-sdk");

/**
 * Makes ready what running the handler needs (its decoded payload, abort listener, trace parent
 * and span attributes) and returns what starts it. When many attempts start at one instant, each
 * start then allocates little, so garbage collection does not run between the first and the last.
 * The execution settles with the handler or with the attempt's abort, whichever comes first.
 */
function prepareExecution(handler: Handler | undefined, ctx: TaskContext, abort: AttemptAbort, assignment: Assignment): () => Promise<Outcome> {
  const aborted = new Promise<Outcome>((resolve) => abort.onAbort((error) => resolve({ ok: false, error })));
  const payload = ctx.payload;
  const parent = assignment.traceparent ? propagation.extract(context.active(), { traceparent: assignment.traceparent }) : context.active();
  const attributes = { "taskplane.run_id": assignment.runId, "taskplane.attempt": assignment.attempt, "taskplane.task_type": assignment.taskType };
  return () => {
    const span = tracer.startSpan("run.execute", { attributes }, parent);
    return context.with(contextWith(parent, span), async () => {
      try {
        const outcome = await Promise.race([call(handler, payload, ctx), aborted]);
        if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR });
        return outcome;
      } finally {
        span.end();
      }
    });
  };
}

async function call(handler: Handler | undefined, payload: unknown, ctx: TaskContext): Promise<Outcome> {
  if (!handler) return { ok: false, error: new NonRetryableError(`no handler for task type "${ctx.taskType}"`, "UnknownTaskType") };
  try {
    return { ok: true, value: await handler(payload, ctx) };
  } catch (error) {
    return { ok: false, error };
  }
}

function reportOf(assignment: Assignment, outcome: Outcome, abort: AttemptAbort): RunReportInit {
  const base = { runId: assignment.runId, attempt: assignment.attempt };
  if (outcome.ok && !abort.aborted) return { ...base, result: { case: "output", value: encodeResult(outcome.value) ?? {} } };
  const error = outcome.ok ? abort.reason : outcome.error;
  return {
    ...base,
    result: {
      case: "error",
      value: {
        type: errorType(error, abort),
        message: error instanceof Error ? error.message : String(error),
        nonRetryable: error instanceof NonRetryableError,
      },
    },
  };
}

/** The reported error type; cancellation and deadlines use the names the server decides on. */
function errorType(error: unknown, abort: AttemptAbort): string {
  if (abort.reason instanceof CancelledError) return "Cancelled";
  if (abort.reason instanceof DeadlineExceededError) return "StartToCloseTimeout";
  if (error instanceof NonRetryableError) return error.type;
  return (error as Error)?.name ?? "Error";
}
