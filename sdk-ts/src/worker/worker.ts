// The worker runtime: long-polls one queue for its task types, runs handlers with bounded
// concurrency, and drains in-flight work on shutdown. States: RUNNING -> DRAINING -> STOPPED.
import { hostname } from "node:os";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { duration } from "../client/schedules.js";
import { createTransport, type ConnectionOptions } from "../client/transport.js";
import { WorkerShutdownError } from "../errors.js";
import { runAttempt, type AttemptDeps, type Handler } from "./attempt.js";
import type { AttemptAbort } from "./attempt-abort.js";
import { AttemptTicker } from "./attempt-ticker.js";
import { ResultReporter } from "./result-reporter.js";
import { localStart, ServerClock, startGate } from "./start-times.js";

export type WorkerState = "RUNNING" | "DRAINING" | "STOPPED";

/** How long shutdown waits for the server to answer the poll under way before cancelling it. */
const POLL_END_GRACE_MS = 2_000;

export interface WorkerOptions extends ConnectionOptions {
  /** Handlers by task type; the worker polls only for these types. */
  handlers: Record<string, Handler>;
  /** The namespace whose runs to take [default]; the token must name it. */
  namespace?: string;
  /** [default] */
  queue?: string;
  /** Attempts run at once [10]. */
  concurrency?: number;
  /** Names this process in attempts [hostname-pid]. */
  workerId?: string;
  /** How long one poll waits for work [30s]. */
  pollWaitMs?: number;
  /** How long shutdown waits for running handlers before aborting them [10s]. */
  shutdownGraceMs?: number;
  /** Drain on SIGTERM and SIGINT [true]. */
  handleSignals?: boolean;
  /** Where the worker reports problems [console.warn]. */
  onWarning?: (message: string) => void;
}

/**
 * @example
 * const worker = Worker.create({ address: "http://127.0.0.1:7070", handlers: { "email.send": async (p, ctx) => send(p) } });
 * await worker.run(); // until SIGTERM or worker.shutdown()
 */
export interface WorkerStats {
  state: WorkerState;
  running: number;
  succeeded: number;
  failed: number;
  refused: number;
  awaitingAnswer: number;
  pollFailures: number;
}

export class Worker {
  private state: WorkerState = "RUNNING";
  private readonly client: Client<typeof WorkerService>;
  private readonly reporter: ResultReporter;
  private readonly running = new Set<Promise<void>>();
  private readonly polling = new AbortController();
  private readonly attempts = new Set<AttemptAbort>();
  private readonly ticker = new AttemptTicker();
  private readonly serverClock = new ServerClock();
  private readonly attemptDeps: AttemptDeps;
  private slotFreed?: () => void;
  /** The poll call under way, if any: settled (never rejects) when it returns. */
  private pollInFlight?: Promise<unknown>;
  private pollFailures = 0;
  private stopped?: Promise<void>;
  readonly workerId: string;

  private constructor(private readonly options: WorkerOptions) {
    this.client = createClient(WorkerService, createTransport({ ...options, retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 } }));
    this.workerId = options.workerId ?? `${hostname()}-${process.pid}`;
    this.reporter = new ResultReporter(this.client, (runId, why) => this.warn(`result for run ${runId} refused: ${why}`));
    this.attemptDeps = { client: this.client, reporter: this.reporter, running: this.attempts, ticker: this.ticker, codec: options.codec };
  }

  static create(options: WorkerOptions): Worker {
    if (Object.keys(options.handlers).length === 0) throw new Error("Worker.create: give at least one handler");
    return new Worker(options);
  }

  get currentState(): WorkerState {
    return this.state;
  }

  /**
   * What this worker has done since it started, for your metrics: attempts running now (with
   * those handed out ahead, waiting the last moments to their start time), results
   * reported (succeeded, failed, refused by the server as stale), results not yet answered, and
   * polls that failed.
   * @example
   * new Gauge({ name: "worker_attempts_running", help: "…", collect() { this.set(worker.stats().running); } });
   */
  stats(): WorkerStats {
    return {
      state: this.state,
      running: this.running.size,
      ...this.reporter.counts,
      awaitingAnswer: this.reporter.awaitingAnswer,
      pollFailures: this.pollFailures,
    };
  }

  /** Polls and runs attempts until shutdown; resolves when the worker has stopped. */
  async run(): Promise<void> {
    const onSignal = () => void this.shutdown();
    if (this.options.handleSignals ?? true) {
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
    }
    try {
      await this.pollLoop();
      await (this.stopped ?? this.shutdown());
    } finally {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
    }
  }

  /** Stops polling, lets running handlers finish within the grace period, then aborts the rest. */
  shutdown(): Promise<void> {
    this.stopped ??= this.drain();
    return this.stopped;
  }

  private async drain(): Promise<void> {
    this.state = "DRAINING";
    this.slotFreed?.();
    await this.endPoll();
    this.polling.abort();
    const grace = setTimeout(() => {
      for (const attempt of this.attempts) attempt.abort(new WorkerShutdownError());
    }, this.options.shutdownGraceMs ?? 10_000);
    await Promise.allSettled([...this.running]);
    await this.reporter.below(1);
    clearTimeout(grace);
    this.state = "STOPPED";
  }

  /**
   * Asks the server to answer the poll under way rather than cancelling it: a cancelled call can
   * lose an answer already on its way, whose runs would wait out their heartbeat timeout. Runs
   * the answer brings are run. Falls back to cancelling when the server does not answer quickly.
   */
  private async endPoll(): Promise<void> {
    const poll = this.pollInFlight;
    if (!poll) return;
    const shutdown = this.client
      .shutdownWorker({ workerId: this.workerId, namespace: this.options.namespace ?? "" }, { timeoutMs: POLL_END_GRACE_MS })
      .catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise((r) => (timer = setTimeout(r, POLL_END_GRACE_MS)));
    await Promise.race([Promise.all([shutdown, poll]), grace]);
    clearTimeout(timer);
  }

  private async pollLoop(): Promise<void> {
    const concurrency = this.options.concurrency ?? 10;
    const waitMs = this.options.pollWaitMs ?? 30_000;
    let failures = 0;
    while (this.state === "RUNNING") {
      if (this.running.size >= concurrency) {
        await new Promise<void>((r) => (this.slotFreed = r));
        continue;
      }
      // A finished attempt frees its slot while its result travels to the server; past one slot's
      // worth of unanswered results, a slow server slows polling instead of piling them up.
      await this.reporter.below(2 * concurrency);
      if (this.state !== "RUNNING") break;
      try {
        const call = this.client.pollTasks(
          {
            workerId: this.workerId,
            queue: this.options.queue ?? "",
            namespace: this.options.namespace ?? "",
            taskTypes: Object.keys(this.options.handlers),
            maxTasks: concurrency - this.running.size,
            wait: duration(waitMs),
            waitsForStartTime: true,
          },
          { signal: this.polling.signal, timeoutMs: waitMs + 10_000 },
        );
        this.pollInFlight = call.catch(() => undefined);
        const { assignments, serverTime } = await call.finally(() => (this.pollInFlight = undefined));
        failures = 0;
        const offset = serverTime && this.serverClock.observe(serverTime);
        for (const a of assignments) {
          this.start(runAttempt(a, this.options.handlers[a.taskType], this.attemptDeps, startGate(localStart(a.startTime, offset))));
        }
      } catch (e) {
        if (this.state !== "RUNNING") break;
        failures++;
        this.pollFailures++;
        this.warn(`poll failed (${ConnectError.from(e).code === Code.Unavailable ? "server unavailable" : ConnectError.from(e).message}); retrying`);
        await new Promise((r) => setTimeout(r, Math.min(10_000, 100 * 2 ** failures) * (0.5 + Math.random() / 2)));
      }
    }
  }

  private start(attempt: Promise<void>): void {
    const tracked = attempt
      .catch((e) => this.warn(`attempt failed to report: ${(e as Error).message}`))
      .finally(() => {
        this.running.delete(tracked);
        this.slotFreed?.();
      });
    this.running.add(tracked);
  }

  private warn(message: string): void {
    (this.options.onWarning ?? ((m: string) => console.warn(`taskplane worker: ${m}`)))(message);
  }
}
