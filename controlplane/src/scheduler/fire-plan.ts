// Decides the fate of runs that fell due: queue them, skip them (overlap, pause, catch-up), and
// which next fire each recurring schedule gets. Pure: the scheduler applies the plan atomically.
import type { OverlapPolicy } from "../domain/model.js";
import type { DueRun, FirePlan } from "../store/store.js";
import { newRun } from "../domain/new-run.js";
import { isRecurring, missedFires, nextFireTime } from "./fire-times.js";

export interface FirePlanOptions {
  /** A recurring fire later than this is a misfire, handled by the task's catch-up policy. */
  misfireMs: number;
}

export const emptyPlan = (): FirePlan => ({ queue: [], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [] });

/** One plan doing what each of `plans` does; each is idempotent, so together they are too. */
export function mergePlans(plans: FirePlan[]): FirePlan {
  if (plans.length === 1) return plans[0]!;
  const merged = emptyPlan();
  for (const plan of plans) for (const key of Object.keys(merged) as (keyof FirePlan)[]) (merged[key] as unknown[]).push(...plan[key]);
  // A task in two plans gets the later plan's next fire time.
  merged.tasks = [...new Map(merged.tasks.map((t) => [t.taskId, t])).values()];
  return merged;
}

/** How many runs and tasks a plan writes. */
export const planSize = (plan: FirePlan): number =>
  plan.queue.length + plan.skip.length + plan.cancel.length + plan.cancelPrevious.length + plan.next.length + plan.tasks.length;

export function planFires(due: DueRun[], busyTasks: Set<string>, now: Date, options: FirePlanOptions): FirePlan {
  const plan = emptyPlan();
  for (const run of due) planOne(run, busyTasks, now, options, plan);
  return plan;
}

/**
 * Whether a run will be queued whatever happens until its due time (a retry, a manual trigger, a
 * one-time run, or a recurring run that may overlap), so it can be fired and claimed a little early.
 */
export function settledAhead(run: DueRun): boolean {
  if (run.taskState === "DELETED" || run.taskState === "CANCELLED") return false;
  if (run.state === "RETRYING" || run.trigger === "MANUAL") return true;
  if (run.trigger === "BACKFILL") return overlapOf(run) === "ALLOW";
  return run.taskState === "ACTIVE" && (!isRecurring(run.schedule) || run.schedule.overlap === "ALLOW");
}

/**
 * Whether a run is read a little before its due time: settled runs, and on-time fires of active
 * recurring schedules, which are queued then if nothing would stop them (see decidedAhead).
 */
export function readAhead(run: DueRun): boolean {
  return settledAhead(run) || scheduledFireOfActiveTask(run);
}

/**
 * Whether a run read before its due time is decided then: a settled run, or a recurring fire whose
 * task is active with no earlier run unfinished, so the overlap policy lets it start. Anything else
 * (a busy or paused task) waits for its due time, when a run that finished or a resume can still
 * change its fate.
 */
export function decidedAhead(run: DueRun, busyTasks: Set<string>): boolean {
  return settledAhead(run) || (scheduledFireOfActiveTask(run) && !busyTasks.has(run.taskId));
}

function scheduledFireOfActiveTask(run: DueRun): boolean {
  return run.taskState === "ACTIVE" && run.state === "SCHEDULED" && run.trigger === "SCHEDULE" && isRecurring(run.schedule);
}

/** Recurring and backfilled fires whose overlap policy needs to know if an earlier run is unfinished. */
export function needsOverlapCheck(run: DueRun): boolean {
  const fromSchedule = run.trigger === "BACKFILL" || (run.trigger === "SCHEDULE" && isRecurring(run.schedule));
  return run.state === "SCHEDULED" && fromSchedule && overlapOf(run) !== "ALLOW";
}

/** A backfill carries its own overlap policy; other runs follow their schedule's. */
function overlapOf(run: DueRun): OverlapPolicy {
  return run.overlap ?? run.schedule.overlap;
}

function planOne(run: DueRun, busyTasks: Set<string>, now: Date, options: FirePlanOptions, plan: FirePlan): void {
  if (run.taskState === "DELETED" || run.taskState === "CANCELLED") {
    plan.cancel.push({ runId: run.id, reason: `task ${run.taskState.toLowerCase()}` });
  } else if (run.state === "RETRYING" || run.trigger === "MANUAL") {
    plan.queue.push(run.id);
  } else if (run.trigger === "BACKFILL") {
    planOnTime(run, busyTasks, plan);
  } else if (run.taskState === "PAUSED") {
    plan.skip.push({ runId: run.id, reason: "task paused" });
  } else if (!isRecurring(run.schedule)) {
    plan.queue.push(run.id);
    plan.tasks.push({ taskId: run.taskId, completed: true });
  } else if (now.getTime() - run.dueTime.getTime() > options.misfireMs) {
    planCatchUp(run, now, plan);
  } else {
    planOnTime(run, busyTasks, plan);
    planNext(run, nextFireTime(run.schedule, run.scheduledTime), plan);
  }
}

/** Queues a fire unless its overlap policy says otherwise; a queued run makes its task busy for the rest of the plan. */
function planOnTime(run: DueRun, busyTasks: Set<string>, plan: FirePlan): void {
  const overlap = overlapOf(run);
  if (!busyTasks.has(run.taskId) || overlap === "ALLOW") {
    plan.queue.push(run.id);
  } else if (overlap === "CANCEL_PREVIOUS") {
    plan.cancelPrevious.push({ taskId: run.taskId, keepRunId: run.id });
    plan.queue.push(run.id);
  } else {
    plan.skip.push({ runId: run.id, reason: "the previous run was still running (overlap policy SKIP)" });
  }
  if (overlap !== "ALLOW") busyTasks.add(run.taskId);
}

/** Fires missed while the scheduler was down: run none, the latest, or all within the window, per policy. */
function planCatchUp(run: DueRun, now: Date, plan: FirePlan): void {
  const { mode, windowMs, maxRuns } = run.schedule.catchUp;
  const windowStart = now.getTime() - windowMs;
  // Every missed fire gets a run, to run or SKIPPED, so the history answers for each; after a long
  // outage, only the most recent ones, and the first missed run says so.
  const { times: later, unrecordedNote } = missedFires(run.schedule, run.scheduledTime, now);
  const missed = [run.scheduledTime, ...later];
  const inWindow = missed.filter((t) => t.getTime() >= windowStart);
  const toRun = new Set((mode === "SKIP" ? [] : mode === "ONE" ? inWindow.slice(-1) : inWindow.slice(-Math.max(1, maxRuns))).map(Number));
  for (const time of missed) {
    const runs = toRun.has(time.getTime());
    const reason = runs ? undefined : skipReason(mode, time.getTime() >= windowStart);
    if (time === run.scheduledTime) {
      if (runs) plan.queue.push(run.id);
      else plan.skip.push({ runId: run.id, reason: unrecordedNote ? `${reason}; ${unrecordedNote}` : reason! });
    } else {
      plan.next.push({ ...newRun(taskOf(run), time, "SCHEDULE"), state: runs ? "QUEUED" : "SKIPPED", reason });
    }
  }
  planNext(run, nextFireTime(run.schedule, new Date(Math.max(now.getTime(), missed[missed.length - 1]!.getTime()))), plan);
}

function skipReason(mode: string, inWindow: boolean): string {
  if (!inWindow) return "missed while the scheduler was down, before the catch-up window";
  return mode === "SKIP"
    ? "missed while the scheduler was down (catch-up policy SKIP)"
    : "missed while the scheduler was down; the catch-up policy ran a later fire instead";
}

function planNext(run: DueRun, next: Date | undefined, plan: FirePlan): void {
  if (next) plan.next.push(newRun(taskOf(run), next, "SCHEDULE"));
  plan.tasks.push({ taskId: run.taskId, nextFireTime: next, completed: !next });
}

function taskOf(run: DueRun) {
  return {
    id: run.taskId,
    spec: { namespace: run.namespace, type: run.taskType, queue: run.queue, priority: run.priority, retry: { maxAttempts: run.maxAttempts }, schedule: run.schedule },
  };
}
