// Runs one assignment: the handler with its context, background heartbeats, buffered logs,
// the start-to-close deadline, and the result report.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Assignment, WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { AttemptLostError, CancelledError, DeadlineExceededError, NonRetryableError } from "../errors.js";
import type { AttemptTicker } from "./attempt-ticker.js";
import { Heartbeats } from "./heartbeats.js";
import { LogBuffer } from "./log-buffer.js";
import { encodeResult } from "../payload.js";
import type { PayloadCodec } from "../payload-codec.js";
import type { ResultReporter, RunReportInit } from "./result-reporter.js";
import { TaskContext } from "./task-context.js";

export type Handler = (payload: unknown, ctx: TaskContext) => unknown;

export interface AttemptDeps {
  client: Client<typeof WorkerService>;
  reporter: ResultReporter;
  /** The worker's running attempts: it aborts them all when its shutdown grace period ends. */
  running: Set<AbortController>;
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
      void deps.reporter.report(reportOf(received, { ok: false, error }, new AbortController().signal));
      return;
    }
  }
  const abort = new AbortController();
  deps.running.add(abort);
  const beats = new Heartbeats(assignment, deps.client, abort);
  const logs = new LogBuffer(assignment, deps.client);
  const deadline = assignment.deadline ? timestampMs(assignment.deadline) : Infinity;
  const watch = (now: number) => (now >= deadline ? abort.abort(new DeadlineExceededError()) : beats.tick(now));
  const ctx = new TaskContext(assignment, abort.signal, { heartbeat: (d) => beats.beat(d), log: (m) => logs.add(m) });
  try {
    if (startGate) await startGate;
    deps.ticker.add(watch);
    const result = await inExecuteSpan(assignment, () => execute(handler, ctx, abort.signal));
    await logs.flush();
    if (abort.signal.reason instanceof AttemptLostError) return;
    // Handed over, not awaited: the reporter retries until the server answers, and the slot is
    // free for the next poll meanwhile.
    void deps.reporter.report(reportOf(assignment, result, abort.signal));
  } finally {
    deps.ticker.delete(watch);
    logs.stop();
    deps.running.delete(abort);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Runs the handler until it settles or the attempt is aborted, whichever comes first. */
async function execute(handler: Handler | undefined, ctx: TaskContext, signal: AbortSignal): Promise<Outcome> {
  if (!handler) return { ok: false, error: new NonRetryableError(`no handler for task type "${ctx.taskType}"`, "UnknownTaskType") };
  const aborted = new Promise<Outcome>((resolve) => {
    const settle = () => resolve({ ok: false, error: signal.reason });
    if (signal.aborted) settle();
    else signal.addEventListener("abort", settle, { once: true });
  });
  const ran = (async (): Promise<Outcome> => {
    try {
      return { ok: true, value: await handler(ctx.payload, ctx) };
    } catch (error) {
      return { ok: false, error };
    }
  })();
  return Promise.race([ran, aborted]);
}

function reportOf(assignment: Assignment, outcome: Outcome, signal: AbortSignal): RunReportInit {
  const base = { runId: assignment.runId, attempt: assignment.attempt };
  if (outcome.ok && !signal.aborted) return { ...base, result: { case: "output", value: encodeResult(outcome.value) ?? {} } };
  const error = outcome.ok ? signal.reason : outcome.error;
  return {
    ...base,
    result: {
      case: "error",
      value: {
        type: errorType(error, signal),
        message: error instanceof Error ? error.message : String(error),
        nonRetryable: error instanceof NonRetryableError,
      },
    },
  };
}

/** The reported error type; cancellation and deadlines use the names the server decides on. */
function errorType(error: unknown, signal: AbortSignal): string {
  if (signal.reason instanceof CancelledError) return "Cancelled";
  if (signal.reason instanceof DeadlineExceededError) return "StartToCloseTimeout";
  if (error instanceof NonRetryableError) return error.type;
  return (error as Error)?.name ?? "Error";
}

function inExecuteSpan<T>(assignment: Assignment, fn: () => Promise<T>): Promise<T> {
  const parent = assignment.traceparent
    ? propagation.extract(context.active(), { traceparent: assignment.traceparent })
    : context.active();
  const attributes = { "taskplane.run_id": assignment.runId, "taskplane.attempt": assignment.attempt, "taskplane.task_type": assignment.taskType };
  return trace.getTracer("taskplane-sdk").startActiveSpan("run.execute", { attributes }, parent, async (span) => {
    try {
      const result = await fn();
      if ((result as Outcome).ok === false) span.setStatus({ code: SpanStatusCode.ERROR });
      return result;
    } finally {
      span.end();
    }
  });
}
