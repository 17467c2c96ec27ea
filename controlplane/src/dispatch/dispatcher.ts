// Matches due runs to long-polling workers: takes runs from the queue, records the attempt in
// the store (the run becomes RUNNING for that worker), and only then hands them out.
import type { Clock } from "../domain/clock.js";
import { UnavailableError } from "../domain/errors.js";
import type { Assignment } from "../domain/model.js";
import type { DispatchRun, Store } from "../store/store.js";
import { OpenPolls, type PollCaps } from "./open-polls.js";
import type { RunQueue } from "./run-queue.js";
import { WorkerShutdowns } from "./worker-shutdowns.js";
import type { Logger } from "pino";
import { runFields } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import { recordRunStep } from "../telemetry/tracing.js";

export interface PollRequest {
  workerId: string;
  namespace: string;
  queue: string;
  taskTypes: readonly string[];
  maxTasks: number;
  waitMs: number;
  /** The worker runs each assignment at its start time: runs claimed ahead are answered at once, not at their due instant. */
  waitsForStartTime: boolean;
}

/** Encodes a poll's answer for the transport; `answeredAt` is when it leaves the server. */
export type EncodeAnswer<T> = (assignments: Assignment[], answeredAt: Date) => T;

export class Dispatcher {
  private readonly stopping = new AbortController();
  private readonly openPolls: OpenPolls;
  private readonly shutdowns: WorkerShutdowns;

  constructor(
    private readonly queue: RunQueue,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    caps: PollCaps,
  ) {
    this.openPolls = new OpenPolls(caps);
    this.shutdowns = new WorkerShutdowns(() => clock.now().getTime());
  }

  /**
   * Holds until runs are ready or `waitMs` passes; returns their assignments (possibly none),
   * encoded by `encode` for the transport. A claim made ahead of the due instant is encoded at
   * once and handed out then, or at once to a worker that waits for the start time itself.
   */
  async poll<T>(request: PollRequest, signal: AbortSignal, encode: EncodeAnswer<T>): Promise<T> {
    if (this.stopping.signal.aborted) throw new UnavailableError("the server is shutting down; poll another replica");
    this.openPolls.enter(request.workerId, request.namespace);
    try {
      return await this.pollOnce(request, signal, encode);
    } finally {
      this.openPolls.leave(request.workerId, request.namespace);
    }
  }

  private async pollOnce<T>(request: PollRequest, signal: AbortSignal, encode: EncodeAnswer<T>): Promise<T> {
    const shutdown = this.shutdowns.watch(request.workerId, request.namespace);
    // A timer of our own, not AbortSignal.timeout: Node 20 may garbage-collect a timeout signal
    // that only AbortSignal.any refers to, and the poll would then wait forever (nodejs/node#57736).
    const waited = new AbortController();
    const timer = setTimeout(() => waited.abort(), request.waitMs);
    const until = AbortSignal.any([signal, waited.signal, this.stopping.signal, shutdown.signal]);
    const stopWait = this.metrics.pollWait.startTimer();
    this.metrics.pollsWaiting.inc();
    const runs = await this.queue
      .take({ namespace: request.namespace, queue: request.queue, taskTypes: request.taskTypes }, request.maxTasks, until)
      .finally(() => (clearTimeout(timer), this.metrics.pollsWaiting.dec(), stopWait(), shutdown.done()));
    if (runs.length === 0) return encode([], this.clock.now());
    try {
      // A poll's runs all fall due at one instant (now, or a little ahead for runs fired early):
      // the attempts start then, and are handed out then, never before, unless the worker waits
      // for the start time itself.
      const startAt = Math.max(this.clock.now().getTime(), ...runs.map((r) => r.dueTime.getTime()));
      // Runs cancelled or claimed elsewhere since they were queued are left out by the conditional claim.
      const ids = runs.map((r) => r.id);
      const claimed = await this.store.claimRuns(ids, request.workerId, new Date(startAt));
      // The worker went away while its claim was written (it shut down, or its call timed out):
      // hand the runs back now rather than leave them RUNNING until their heartbeat lease lapses.
      if (signal.aborted) return await this.handBack(runs, claimed, request.workerId, encode);
      // Keep the queue's order (priority, then FIFO): the database returns rows in any order.
      const position = new Map(ids.map((id, i) => [id, i]));
      for (const r of runs) this.metrics.startLateness.observe(Math.max(0, startAt - r.dueTime.getTime()) / 1000);
      const debug = this.logger.isLevelEnabled("debug");
      for (const a of claimed) {
        if (debug) this.logger.debug({ ...runFields(a), workerId: request.workerId, startTime: new Date(startAt) }, "attempt started");
        recordRunStep("run.dispatch", a.traceparent, { "taskplane.run_id": a.runId, "taskplane.attempt": a.attempt, "taskplane.worker_id": request.workerId });
      }
      const now = this.clock.now().getTime();
      const early = request.waitsForStartTime ? 0 : startAt - now;
      const response = encode(claimed.sort((a, b) => position.get(a.runId)! - position.get(b.runId)!), new Date(now + Math.max(0, early)));
      if (early > 0) await new Promise((r) => setTimeout(r, early));
      // Or it went away while a claim made ahead waited for its due instant.
      if (signal.aborted) return await this.handBack(runs, claimed, request.workerId, encode);
      this.queue.settle(ids);
      return response;
    } catch (e) {
      this.queue.putBack(runs);
      throw new UnavailableError("could not record the claim; poll again", { cause: e });
    }
  }

  /** Answers the worker's waiting polls with no runs, and its polls for a while after (see WorkerShutdowns). */
  shutdownWorker(workerId: string, namespace: string): number {
    return this.shutdowns.shutdown(workerId, namespace);
  }

  /** Releases the claims of a poll that went away and puts its runs back in front of the queue. */
  private async handBack<T>(runs: DispatchRun[], claimed: Assignment[], workerId: string, encode: EncodeAnswer<T>): Promise<T> {
    await this.store.releaseClaims(claimed.map((a) => ({ runId: a.runId, attempt: a.attempt })), workerId);
    this.queue.putBack(runs);
    return encode([], this.clock.now());
  }

  /** Stops accepting polls and releases the ones waiting. */
  stop(): void {
    this.stopping.abort();
    this.queue.close();
  }
}
