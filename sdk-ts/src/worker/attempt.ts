// Runs one assignment: the handler with its context, background heartbeats, buffered logs,
// the start-to-close deadline, and the result report.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Assignment, WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { AttemptLostError, CancelledError, DeadlineExceededError, NonRetryableError } from "../errors.js";
import { encodeResult } from "../payload.js";
import type { ResultReporter, RunReportInit } from "./result-reporter.js";
import { TaskContext } from "./task-context.js";

export type Handler = (payload: unknown, ctx: TaskContext) => unknown;

export interface AttemptDeps {
  client: Client<typeof WorkerService>;
  reporter: ResultReporter;
  /** The worker's running attempts: it aborts them all when its shutdown grace period ends. */
  running: Set<AbortController>;
}

const LOG_FLUSH_MS = 500;

export async function runAttempt(assignment: Assignment, handler: Handler | undefined, deps: AttemptDeps): Promise<void> {
  const abort = new AbortController();
  deps.running.add(abort);
  const beats = new Heartbeats(assignment, deps.client, abort);
  const logs = new LogBuffer(assignment, deps.client);
  const deadline = assignment.deadline ? Number(assignment.deadline.seconds) * 1000 + assignment.deadline.nanos / 1e6 : Infinity;
  const deadlineTimer = setTimeout(() => abort.abort(new DeadlineExceededError()), Math.max(0, Math.min(deadline - Date.now(), 2 ** 31 - 1)));
  const ctx = new TaskContext(assignment, abort.signal, { heartbeat: (d) => beats.beat(d), log: (m) => logs.add(m) });
  try {
    const result = await inExecuteSpan(assignment, () => execute(handler, ctx, abort.signal));
    await logs.flush();
    if (abort.signal.reason instanceof AttemptLostError) return;
    await deps.reporter.report(reportOf(assignment, result, abort.signal));
  } finally {
    clearTimeout(deadlineTimer);
    beats.stop();
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

/** Background heartbeats at a third of the timeout; explicit ones are throttled to the same pace. */
class Heartbeats {
  private details?: Uint8Array;
  private inFlight = false;
  private readonly timer?: NodeJS.Timeout;

  constructor(
    private readonly assignment: Assignment,
    private readonly client: Client<typeof WorkerService>,
    private readonly abort: AbortController,
  ) {
    const timeoutMs = assignment.heartbeatTimeout
      ? Number(assignment.heartbeatTimeout.seconds) * 1000 + assignment.heartbeatTimeout.nanos / 1e6
      : 0;
    if (timeoutMs > 0) this.timer = setInterval(() => void this.send(), Math.max(50, timeoutMs / 3));
  }

  beat(details?: Uint8Array): void {
    if (details) this.details = details;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async send(): Promise<void> {
    if (this.inFlight || this.abort.signal.aborted) return;
    this.inFlight = true;
    try {
      const res = await this.client.heartbeat({ runId: this.assignment.runId, attempt: this.assignment.attempt, details: this.details });
      if (res.cancelRequested) this.abort.abort(new CancelledError());
    } catch (e) {
      const err = ConnectError.from(e);
      if (err.code === Code.FailedPrecondition || err.code === Code.NotFound) {
        this.abort.abort(new AttemptLostError(`attempt ${this.assignment.attempt} of run ${this.assignment.runId} is no longer current`, { cause: err }));
      }
    } finally {
      this.inFlight = false;
    }
  }
}

/** Buffers log lines and appends them in batches; the last batch goes before the result. */
class LogBuffer {
  private lines: { time: ReturnType<typeof timestampFromDate>; message: string }[] = [];
  /** Started by the first line: most handlers never log, and a timer per attempt is not free. */
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly assignment: Assignment,
    private readonly client: Client<typeof WorkerService>,
  ) {}

  add(message: string): void {
    this.lines.push({ time: timestampFromDate(new Date()), message });
    this.timer ??= setInterval(() => void this.flush(), LOG_FLUSH_MS);
  }

  flush(): Promise<void> {
    if (this.lines.length === 0) return this.sending;
    const lines = this.lines.splice(0, 1_000);
    const { runId, attempt } = this.assignment;
    this.sending = this.sending.then(() => this.client.appendLogs({ runId, attempt, lines }).then(() => undefined, () => undefined));
    return this.lines.length ? this.flush() : this.sending;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
