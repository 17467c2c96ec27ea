// The scheduler: while this node leads, keeps the runs due in the next window in a timer heap,
// fires each batch on time (its plan written in one transaction, with any that wait beside it),
// hands queued runs to dispatch, and sweeps timed-out attempts. Postgres stays the source of
// truth: the heap is only a cache of the due window, reloaded from the runs_due index. Every write
// runs under the term's fencing token; a refused write, like a lost lease, ends the term, and the
// node campaigns again.
import type { Logger } from "pino";
import type { Lease, Leadership } from "../coordination/leadership.js";
import type { RunQueue } from "../dispatch/run-queue.js";
import type { Clock } from "../domain/clock.js";
import type { DueNotifier } from "../domain/due-notifier.js";
import { decideAfterFailure } from "../domain/failure-decision.js";
import { FencedWriteError, type DispatchRun, type DueRun, type FirePlan, type Store } from "../store/store.js";
import { decidedAhead, emptyPlan, needsOverlapCheck, planFires, readAhead } from "./fire-plan.js";
import { FirePlanWriter } from "./fire-plan-writer.js";
import { firstFireTime, nextFireTime } from "./fire-times.js";
import { newRun } from "../domain/new-run.js";
import { MinHeap } from "./min-heap.js";
import type { Metrics } from "../telemetry/metrics.js";
import { newRunTrace, recordRunStep } from "../telemetry/tracing.js";

export interface SchedulerOptions {
  /** Runs due within this much time are held in memory [60s]. */
  windowMs: number;
  /** How often the due window is reloaded even without notice [1s]. */
  reloadIntervalMs: number;
  /** A recurring fire later than this counts as missed and follows the catch-up policy [5s]. */
  misfireMs: number;
  /** How often running attempts are checked for timeouts [500ms]. */
  sweepIntervalMs: number;
  /** Most runs read per reload [10,000]. */
  reloadLimit: number;
  /**
   * How early a run is read and, when its fate is decided then, fired, so a waiting poll can
   * record its claim before the due instant and receive it by that instant [500ms]. For a burst of
   * 2,000 runs (4 polls of 500 at once, 2 cores) the polls took them 40-70 ms after they were read,
   * the claims took 60-280 ms, and the answers reached workers in processes of their own 50-125 ms
   * after they left: with 250 ms, a third of the answers arrived after the due instant.
   */
  claimAheadMs: number;
  /** A run QUEUED this long is handed to dispatch again, in case its message was lost [30s]. */
  stuckQueuedMs: number;
}

/** Most runs one fire reads and plans. */
const FIRE_BATCH_MAX = 500;

/** Most runs and tasks fire plans written together in one transaction touch (see FirePlanWriter). */
const FIRE_WRITE_MAX_RUNS = 2_000;

/** Most runs of the due window read in one query (see reload). */
const DUE_READ_CHUNK = 1_000;

/** While the window is full, a reload looks this many reload intervals ahead (see reload). */
const FULL_WINDOW_LOOK_AHEAD_INTERVALS = 3;

export const DEFAULT_SCHEDULER_OPTIONS: SchedulerOptions = {
  windowMs: 60_000,
  reloadIntervalMs: 1_000,
  misfireMs: 5_000,
  sweepIntervalMs: 500,
  reloadLimit: 10_000,
  claimAheadMs: 500,
  stuckQueuedMs: 30_000,
};

/**
 * A run in the due window, held until it fires: only what orders it and what its fire reads first.
 * The rest of the run, with its task's state and schedule, is read as it fires, so a full window
 * (reloadLimit runs) holds ~200 bytes a run rather than a copy of each run and its schedule.
 */
interface HeldRun {
  id: string;
  taskId: string;
  /** When it fires: its due time, or claimAheadMs before for a run read ahead (see readAhead). */
  fireAt: number;
  /** Whether its overlap policy needs to know if an earlier run of its task is unfinished. */
  overlapCheck: boolean;
}

export class Scheduler implements DueNotifier {
  /** Keyed by when each run fires. */
  private heap = this.newHeap();
  /** Runs in the heap or being fired: not to be loaded again. */
  private readonly tracked = new Set<string>();
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private reloading?: Promise<void>;
  private reloadRequested = false;
  /** The last reload read as many runs as it may: more are due within the window. */
  private windowFull = false;
  private readonly stopped = new AbortController();
  /** The current term of leadership: its fencing token, and a signal that ends it. */
  private term?: { token: bigint; signal: AbortSignal; held: () => boolean; end: (reason: unknown) => void; writer: FirePlanWriter };
  private campaigning?: Promise<void>;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** How many fires under way hold runs of each task whose overlap policy looks at its other runs. */
  private readonly firingTasks = new Map<string, number>();
  /** Runs whose task a fire under way holds: they fire again once it is written (see fire). */
  private waiting: HeldRun[] = [];
  private readonly decide;

  constructor(
    private readonly deps: { store: Store; queue: RunQueue; clock: Clock; leadership: Leadership; logger: Logger; metrics: Metrics },
    private readonly options: SchedulerOptions = DEFAULT_SCHEDULER_OPTIONS,
  ) {
    this.decide = decideAfterFailure(deps.clock);
  }

  /** Campaigns for leadership and schedules while leading, term after term, until stopped. */
  start(): Promise<void> {
    this.campaigning ??= this.campaign();
    return this.campaigning;
  }

  private async campaign(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      let lease: Lease;
      try {
        lease = await this.deps.leadership.acquire(this.stopped.signal);
      } catch (e) {
        if (this.stopped.signal.aborted) return;
        throw e;
      }
      await this.lead(lease);
      await this.deps.leadership.release().catch((e) => this.deps.logger.warn({ err: e }, "releasing leadership failed"));
    }
  }

  private async lead(lease: Lease): Promise<void> {
    const end = new AbortController();
    const signal = AbortSignal.any([lease.lost, end.signal, this.stopped.signal]);
    const writer = new FirePlanWriter((plan, now) => this.writeFirePlan(plan, now, lease.token), FIRE_WRITE_MAX_RUNS);
    this.term = { token: lease.token, signal, held: lease.held, end: (reason) => end.abort(reason), writer };
    this.deps.logger.info({ token: lease.token.toString() }, "scheduler leading");
    this.deps.metrics.leader.set(1);
    this.deps.metrics.fenceToken.set(Number(lease.token));
    try {
      await this.repairSchedules();
      await this.restoreQueued();
      this.loop(this.options.reloadIntervalMs, () => this.requestReload());
      this.loop(this.options.sweepIntervalMs, () => this.sweep());
      this.loop(this.options.stuckQueuedMs / 3, () => this.republishStuck());
      this.requestReload();
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
    } catch (e) {
      this.stepDown(e);
    } finally {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      await this.reloading;
      await Promise.allSettled([...this.inFlight]);
      this.heap = this.newHeap();
      this.tracked.clear();
      this.waiting = [];
      this.deps.metrics.leader.set(0);
      this.deps.logger.info({ token: lease.token.toString(), reason: String(signal.reason ?? "") }, "scheduler stopped leading");
    }
  }

  /** Ends the term: after a refused (fenced) write, or anything else that makes leading unsafe. */
  private stepDown(reason: unknown): void {
    this.deps.logger.warn({ err: reason }, "stepping down as scheduler leader");
    this.term?.end(reason);
  }

  private newHeap(): MinHeap<HeldRun> {
    return new MinHeap<HeldRun>((r) => r.fireAt);
  }

  runsDue(times: Date[]): void {
    const horizon = this.deps.clock.now().getTime() + this.options.windowMs;
    if (times.some((t) => t.getTime() <= horizon)) this.requestReload();
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await this.campaigning?.catch(() => {});
  }

  private get active(): boolean {
    return this.term !== undefined && !this.term.signal.aborted;
  }

  /** The current term's fencing token; every scheduler write carries it. */
  private get fence(): bigint {
    return this.term!.token;
  }

  /**
   * Ticks every intervalMs while leading, never two at once: a timeout sweep waiting for the fence
   * row behind fire plans would otherwise start again every 500 ms, each holding a pooled connection
   * (six of them at once, on average, while a control plane created a million schedules).
   */
  private loop(intervalMs: number, tick: () => unknown): void {
    const signal = this.term!.signal;
    let ticking = false;
    const timer = setInterval(() => {
      if (!this.active || ticking) return;
      ticking = true;
      void Promise.resolve(tick()).finally(() => (ticking = false));
    }, intervalMs);
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }

  /**
   * Runs are handed to workers before their fire is written (see fire), so a crash in between
   * can leave a recurring task without its next run. Write those next runs; missed fires then
   * follow the catch-up policy like any other.
   */
  private async repairSchedules(): Promise<void> {
    const now = this.deps.clock.now();
    // A run is handed out at most claimAheadMs before its scheduled time (or its later, jittered, due time).
    const orphans = await this.deps.store.recurringTasksWithoutNextRun(new Date(now.getTime() + this.options.claimAheadMs), 100_000);
    if (orphans.length === 0) return;
    const plan = emptyPlan();
    for (const { task, lastScheduledTime } of orphans) {
      const next = lastScheduledTime ? nextFireTime(task.spec.schedule, lastScheduledTime) : firstFireTime(task.spec.schedule, now);
      if (next) plan.next.push(newRun(task, next, "SCHEDULE"));
      plan.tasks.push({ taskId: task.id, nextFireTime: next, completed: !next });
    }
    await this.deps.store.applyFirePlan(plan, now, this.fence);
    this.deps.logger.warn({ tasks: orphans.length }, "restored the next fire of recurring tasks that had none");
  }

  /** After a restart, runs queued but not yet claimed go back to dispatch. */
  private async restoreQueued(): Promise<void> {
    const queued = await this.deps.store.queuedRuns(100_000);
    this.deps.queue.push(queued);
  }

  /**
   * Postgres is the outbox of dispatch: a run still QUEUED long after its fire goes to the queue
   * again, so a lost message only delays it. A run still in flight is deduplicated by the queue.
   */
  private async republishStuck(): Promise<void> {
    try {
      const stuck = await this.deps.store.queuedRuns(10_000, new Date(this.deps.clock.now().getTime() - this.options.stuckQueuedMs));
      if (stuck.length === 0) return;
      this.deps.queue.push(stuck);
      this.deps.logger.info({ runs: stuck.length }, "handed runs stuck in QUEUED to dispatch again");
    } catch (e) {
      this.deps.logger.error({ err: e }, "republishing stuck runs failed");
    }
  }

  /** Coalesces reload requests: one reload at a time, and one more if asked meanwhile. */
  private requestReload(): void {
    if (!this.active) return;
    if (this.reloading) {
      this.reloadRequested = true;
      return;
    }
    this.reloading = this.reload()
      .catch((e) => this.deps.logger.error({ err: e }, "reloading due runs failed"))
      .finally(() => {
        this.reloading = undefined;
        if (this.reloadRequested) {
          this.reloadRequested = false;
          this.requestReload();
        }
      });
  }

  private async reload(): Promise<void> {
    // A full window holds only the runs due soonest; it is read in full again once the heap has
    // fired half of them (reading it at once would return the same rows). Until then a reload
    // reads only the next few seconds, for runs written elsewhere that fall due in them: at a
    // million schedules, reading the held 10,000 ids every second was a tenth of a core of Postgres.
    const refill = !this.windowFull || this.halfFired;
    const aheadMs = refill ? this.options.windowMs : FULL_WINDOW_LOOK_AHEAD_INTERVALS * this.options.reloadIntervalMs;
    const until = new Date(this.deps.clock.now().getTime() + aheadMs);
    // Most of the window is already held: read its ids, and the rest of a run (with its task)
    // only for those not yet tracked.
    const ids = await this.deps.store.dueRunIds(until, this.options.reloadLimit);
    const untracked = ids.filter((id) => !this.tracked.has(id));
    // In pieces, soonest first, each fired as it comes: a new leader's first window at a million
    // schedules took 0.6-1.2 s to read whole, and the runs already overdue waited for all of it.
    for (let i = 0; i < untracked.length && this.active; i += DUE_READ_CHUNK) {
      this.hold(await this.deps.store.dueRunsById(untracked.slice(i, i + DUE_READ_CHUNK)));
    }
    if (refill) this.windowFull = ids.length === this.options.reloadLimit;
  }

  private hold(due: DueRun[]): void {
    for (const run of due) {
      if (this.tracked.has(run.id)) continue;
      this.tracked.add(run.id);
      this.heap.push(this.held(run));
    }
    this.arm();
  }

  /** The heap holds less than half a full read: time to read the rest of a full window. */
  private get halfFired(): boolean {
    return this.heap.size < this.options.reloadLimit / 2;
  }

  private held(run: DueRun): HeldRun {
    const fireAt = run.dueTime.getTime() - (readAhead(run) ? this.options.claimAheadMs : 0);
    return { id: run.id, taskId: run.taskId, fireAt, overlapCheck: needsOverlapCheck(run) };
  }

  private arm(): void {
    const next = this.heap.peek();
    if (!next || !this.active) return;
    const at = next.fireAt;
    if (this.timer && this.timerAt <= at) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.onTimer(), Math.max(0, at - this.deps.clock.now().getTime()));
  }

  private onTimer(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.deps.clock.now().getTime();
    // Fired in batches of at most FIRE_BATCH_MAX: a new leader's first, with up to reloadLimit
    // runs past due, was one plan written in 5.6 s, and polls' claims of its runs waited for it.
    let batch: HeldRun[] = [];
    while (this.heap.size > 0 && this.heap.peek()!.fireAt <= now) {
      batch.push(this.heap.pop()!);
      if (batch.length === FIRE_BATCH_MAX) {
        this.track(this.fire(batch));
        batch = [];
      }
    }
    if (batch.length > 0) this.track(this.fire(batch));
    if (this.windowFull && this.halfFired) this.requestReload();
    this.arm();
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async fire(all: HeldRun[]): Promise<void> {
    // Batches fire side by side, and an overlap check reads runs as Postgres has them: a run of a
    // task another fire is queueing waits for that fire to be written, or both would run.
    const batch: HeldRun[] = [];
    for (const run of all) (run.overlapCheck && this.firingTasks.has(run.taskId) ? this.waiting : batch).push(run);
    if (batch.length === 0) return;
    const checked = [...new Set(batch.filter((r) => r.overlapCheck).map((r) => r.taskId))];
    for (const id of checked) this.firingTasks.set(id, (this.firingTasks.get(id) ?? 0) + 1);
    let heldBack = new Set<string>();
    try {
      const now = this.deps.clock.now();
      const check = batch.filter((r) => r.overlapCheck);
      const ids = batch.map((r) => r.id);
      const [busy, due] = await Promise.all([
        check.length ? this.deps.store.tasksWithActiveRuns(check.map((r) => r.taskId), ids) : new Set<string>(),
        // Read as they fire: a pause, resume or cancel since they were loaded decides their fate.
        this.deps.store.dueRunsById(ids),
      ]);
      heldBack = this.holdUndecided(due, busy, now);
      const firing = due.filter((r) => !heldBack.has(r.id));
      const plan = planFires(firing, busy, now, { misfireMs: this.options.misfireMs });
      // Runs go to workers before their fire is written, so check the lease is held right now.
      if (!this.term!.held()) return this.stepDown(new Error("the leadership lease is not known to be held"));
      const previousTrace = new Map(firing.map((r) => [r.taskId, r.traceparent]));
      for (const next of plan.next) {
        next.traceparent ??= newRunTrace({ "taskplane.task_id": next.taskId, "taskplane.run_id": next.id }, previousTrace.get(next.taskId));
      }
      // Hand runs to workers first: a claim accepts SCHEDULED and RETRYING runs, so writing the
      // plan (QUEUED, next fires, task updates) stays off the path from due time to worker.
      const byId = new Map(firing.map((r) => [r.id, r]));
      const ready = plan.queue.map((id) => byId.get(id)!);
      this.deps.queue.push(ready);
      const queued = await this.applyUntilWritten(plan, now);
      // Catch-up fires are new rows: they can only be handed out once written.
      this.deps.queue.push(queued.filter((r) => !byId.has(r.id)));
      for (const run of ready) {
        recordRunStep("run.fire", run.traceparent, { "taskplane.run_id": run.id }, now);
        // Runs decided ahead fire a little early on purpose: that is on time.
        this.deps.metrics.fireLateness.observe(Math.max(0, now.getTime() - run.dueTime.getTime()) / 1000);
      }
      this.deps.metrics.runsSkipped.inc(plan.skip.length);
      // Only next fires inside the due window need reading now; the periodic reload finds the rest
      // as they come near (a read of the window is the leader's dearest query at scale).
      this.runsDue(plan.next.map((r) => r.dueTime ?? r.scheduledTime));
    } catch (e) {
      if (e instanceof FencedWriteError) this.stepDown(e);
      else this.deps.logger.error({ err: e, runs: batch.length }, "firing runs failed; they will be reloaded");
    } finally {
      // Runs fired, failed, or no longer due (finished, cancelled) may be read again.
      for (const run of batch) if (!heldBack.has(run.id)) this.tracked.delete(run.id);
      for (const id of checked) {
        const n = this.firingTasks.get(id)! - 1;
        if (n > 0) this.firingTasks.set(id, n);
        else this.firingTasks.delete(id);
      }
      this.releaseWaiting();
    }
  }

  /** Puts back in the heap the waiting runs whose tasks no fire under way holds any more. */
  private releaseWaiting(): void {
    const free = this.waiting.filter((r) => !this.firingTasks.has(r.taskId));
    if (free.length === 0 || !this.active) return;
    this.waiting = this.waiting.filter((r) => this.firingTasks.has(r.taskId));
    for (const run of free) this.heap.push(run);
    this.arm();
  }

  /**
   * Of runs read ahead of their due time, puts back those whose fate is not decided yet (see
   * decidedAhead), to fire again at their due time; returns their ids.
   */
  private holdUndecided(due: DueRun[], busy: Set<string>, now: Date): Set<string> {
    const undecided = due.filter((r) => r.dueTime > now && !decidedAhead(r, busy));
    for (const run of undecided) this.heap.push({ ...this.held(run), fireAt: run.dueTime.getTime() });
    if (undecided.length > 0) this.arm();
    return new Set(undecided.map((r) => r.id));
  }

  /** A fire plan is idempotent, so it is retried until written (or this node stops leading). */
  private async applyUntilWritten(plan: FirePlan, now: Date) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.term!.writer.apply(plan, now);
      } catch (e) {
        if (!this.active || e instanceof FencedWriteError) throw e;
        this.deps.logger.error({ err: e, attempt }, "writing a fire failed; retrying");
        await new Promise((r) => setTimeout(r, Math.min(5_000, 50 * 2 ** attempt)));
      }
    }
  }

  private writeFirePlan(plan: FirePlan, now: Date, fence: bigint): Promise<DispatchRun[]> {
    // Runs a poll took already are being claimed: marking them QUEUED would only make the claim
    // wait for this transaction's row locks. Asked as the plan is written: it may have waited.
    return this.deps.store.applyFirePlan({ ...plan, queue: this.deps.queue.waitingAmong(plan.queue) }, now, fence);
  }

  private async sweep(): Promise<void> {
    try {
      const timedOut = await this.deps.store.timeOutAttempts(this.deps.clock.now(), 1_000, this.decide, this.fence);
      if (timedOut > 0) {
        this.deps.metrics.attempts.inc({ outcome: "timed_out" }, timedOut);
        this.deps.logger.info({ attempts: timedOut }, "attempts timed out");
        this.requestReload();
      }
    } catch (e) {
      if (e instanceof FencedWriteError) this.stepDown(e);
      else this.deps.logger.error({ err: e }, "timeout sweep failed");
    }
  }
}
