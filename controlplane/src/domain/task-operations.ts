// What users do to tasks: create, read, steer. Validates what the proto annotations cannot
// (schedules, states), and keeps every change to one store operation.
import { randomUUID } from "node:crypto";
import { previewFires, type FirePreview } from "../scheduler/fire-preview.js";
import { checkedSchedule, fireTimesBetween, firstFireTime, isFireTime, isRecurring, missedFires } from "../scheduler/fire-times.js";
import type { Store, TaskFilter, RunFilter } from "../store/store.js";
import type { CallbackPolicy } from "./callback-policy.js";
import type { Clock } from "./clock.js";
import type { DueNotifier } from "./due-notifier.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "./errors.js";
import type { LogEntry, OverlapPolicy, Page, Payload, Run, Schedule, Task, TaskSpec, TaskState } from "./model.js";
import { newRun } from "./new-run.js";
import type { Scope } from "./scope.js";
import type { Metrics } from "../telemetry/metrics.js";

/** Resuming records at most this many fires skipped while paused. */
/** One backfill creates at most this many runs; larger ranges are backfilled in parts. */
export const MAX_BACKFILL_RUNS = 10_000;
/** A task's own preview shows this many fires. */
const TASK_PREVIEW_FIRES = 10;

export interface BackfillResult {
  fireTimes: number;
  created: number;
  reopened: number;
  existing: number;
}

export interface CreatedTask {
  task: Task;
  firstRun?: Run;
  existing: boolean;
}

export class TaskOperations {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly due: DueNotifier,
    private readonly callbacks: CallbackPolicy,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Creates tasks with their first runs in one transaction. `now` is the creation time the specs'
   * delays were resolved against; `traceparent` ties each first run to the caller's trace.
   */
  async create(specs: TaskSpec[], now: Date, scope: Scope, traceparent?: string): Promise<CreatedTask[]> {
    const items = specs.map((given) => {
      scope.mayWrite(given.namespace);
      const spec = { ...given, schedule: checkedSchedule(given.schedule) };
      if (spec.callback) this.callbacks.check(spec.callback, spec.namespace);
      const first = firstFireTime(spec.schedule, now);
      const task: Task = {
        id: randomUUID(),
        spec,
        state: first || spec.schedule.kind === "manual" ? "ACTIVE" : "COMPLETED",
        createTime: now,
        updateTime: now,
        nextFireTime: first,
      };
      return { task, firstRun: first ? newRun(task, first, "SCHEDULE", { traceparent }) : undefined };
    });
    const created = await this.store.createTasks(items);
    this.metrics.tasksCreated.inc(created.filter((c) => !c.existing).length);
    this.due.runsDue(created.flatMap((c) => (c.firstRun && !c.existing ? [c.firstRun.dueTime] : [])));
    return created;
  }

  async get(taskId: string, scope: Scope): Promise<Task> {
    const task = await this.store.getTask(taskId);
    return scope.see(task?.state === "DELETED" ? undefined : task, (t) => t.spec.namespace, `task ${taskId} not found`);
  }

  list(filter: Omit<TaskFilter, "namespaces">, namespace: string | undefined, pageSize: number, pageToken: string, scope: Scope): Promise<Page<Task>> {
    return this.store.listTasks({ ...filter, namespaces: scope.filter(namespace) }, pageSize, pageToken);
  }

  /** Cancels one run of a task, or the task itself: no more fires, pending runs cancelled, running ones asked to stop. */
  async cancel(taskId: string, runId: string | undefined, reason: string, scope: Scope): Promise<{ task: Task; cancelledRuns: number }> {
    const task = await this.get(taskId, scope);
    const why = reason || "cancelled by a user";
    if (runId) {
      const run = await this.runOf(task, runId);
      const cancelledRuns = await this.store.cancelRun(taskId, runId, why, this.clock.now());
      if (cancelledRuns === 0) throw new FailedPreconditionError(`run ${runId} is ${run.state} and cannot be cancelled`);
      return { task, cancelledRuns };
    }
    return this.changeState(task, ["ACTIVE", "PAUSED", "COMPLETED", "CANCELLED"], "CANCELLED", {
      cancelRuns: { reason: why, onlyScheduled: false },
    });
  }

  /** Runs a finished run again now, as its next attempt, with a fresh attempt budget. */
  async retry(taskId: string, runId: string | undefined, scope: Scope): Promise<Run> {
    const task = await this.get(taskId, scope);
    const id = runId ?? (await this.store.lastFinishedRunId(taskId));
    if (!id) throw new FailedPreconditionError(`task ${taskId} has no finished run to retry`);
    const run = await this.runOf(task, id);
    const reopened = await this.store.reopenRun(id, Math.max(1, task.spec.retry.maxAttempts), this.clock.now());
    if (!reopened) throw new FailedPreconditionError(`run ${id} is ${run.state}; only finished runs can be retried`);
    this.due.runsDue([reopened.dueTime]);
    return reopened;
  }

  /** Creates a run due now, whatever the schedule. */
  async trigger(taskId: string, payload: Payload | undefined, scope: Scope, traceparent?: string): Promise<Run> {
    const task = await this.get(taskId, scope);
    if (task.state === "CANCELLED") throw new FailedPreconditionError(`task ${taskId} is cancelled; create a new task instead`);
    // A run is unique per scheduled time: two triggers in the same millisecond take the next one,
    // and none takes a time the schedule fires at, whose run may not be written yet (while the
    // task is paused, or the scheduler down), and would then never be.
    for (let t = this.clock.now().getTime(); ; t++) {
      if (isFireTime(task.spec.schedule, new Date(t))) continue;
      const run = await this.store.insertRun(newRun(task, new Date(t), "MANUAL", { traceparent, payloadOverride: payload }));
      if (run) {
        this.due.runsDue([run.dueTime]);
        return run;
      }
    }
  }

  /** Stops new fires of a recurring task; the fires it misses are recorded as SKIPPED when it resumes. */
  async pause(taskId: string, scope: Scope): Promise<Task> {
    const task = await this.get(taskId, scope);
    if (!isRecurring(task.spec.schedule)) {
      throw new FailedPreconditionError(`task ${taskId} is not recurring; cancel it instead of pausing`);
    }
    if (task.state === "PAUSED") return task;
    // The next fire is skipped in Postgres at once: the leader may hold it in memory already, and
    // a fire is only handed out while its run is SCHEDULED.
    return (await this.changeState(task, ["ACTIVE"], "PAUSED", { cancelRuns: { reason: "task paused", onlyScheduled: true } })).task;
  }

  /**
   * Continues a paused task from now. Fires missed while paused are not caught up; they are
   * recorded as SKIPPED (the most recent MAX_RECORDED_MISSED_FIRES), so the history answers
   * "did it run at 03:00?".
   */
  async resume(taskId: string, scope: Scope): Promise<Task> {
    const task = await this.get(taskId, scope);
    if (task.state === "ACTIVE") return task;
    const now = this.clock.now();
    const next = firstFireTime(task.spec.schedule, now);
    // No fire is written while paused: the fires missed are those after the last one written (the
    // one the pause skipped).
    const since = (await this.store.lastScheduledTime(task.id)) ?? task.createTime;
    const { times: missed, unrecordedNote } = missedFires(task.spec.schedule, since, now);
    const reasonAt = (i: number) => (i === 0 && unrecordedNote ? `task paused; ${unrecordedNote}` : "task paused");
    const { task: resumed } = await this.changeState(task, ["PAUSED"], next ? "ACTIVE" : "COMPLETED", {
      nextRun: next ? newRun(task, next, "SCHEDULE") : undefined,
      records: missed.map((t, i) => ({ ...newRun(task, t, "SCHEDULE"), state: "SKIPPED" as const, reason: reasonAt(i) })),
    });
    if (next) this.due.runsDue([next]);
    return resumed;
  }

  /** Removes a task from scheduling and listing; its runs stay as history. */
  async delete(taskId: string, scope: Scope): Promise<void> {
    const task = await this.get(taskId, scope);
    await this.changeState(task, ["ACTIVE", "PAUSED", "COMPLETED", "CANCELLED"], "DELETED", {
      cancelRuns: { reason: "task deleted", onlyScheduled: false },
    });
  }

  async getRun(runId: string, scope: Scope): Promise<Run> {
    return scope.see(await this.store.getRun(runId), (r) => r.namespace, `run ${runId} not found`);
  }

  async listRuns(filter: Omit<RunFilter, "namespaces">, namespace: string | undefined, pageSize: number, pageToken: string, scope: Scope): Promise<Page<Run>> {
    if (filter.scheduledFrom && filter.scheduledTo && filter.scheduledTo < filter.scheduledFrom) {
      throw new InvalidArgumentError("scheduled_to: must not be before scheduled_from");
    }
    if (filter.taskId) await this.get(filter.taskId, scope);
    return this.store.listRuns({ ...filter, namespaces: scope.filter(namespace) }, pageSize, pageToken);
  }

  async listRunLogs(runId: string, afterSequence: bigint, limit: number, scope: Scope): Promise<LogEntry[]> {
    await this.getRun(runId, scope);
    return this.store.listRunLogs(runId, afterSequence, limit);
  }

  preview(schedule: Schedule, count: number, after: Date | undefined): FirePreview[] {
    return previewFires(checkedSchedule(schedule), after ?? this.clock.now(), count);
  }

  /** A recurring task's next fires, from its next fire time on, with its jitter. */
  upcomingFires(task: Task): FirePreview[] {
    if (!task.nextFireTime || !isRecurring(task.spec.schedule) || task.state !== "ACTIVE") return [];
    return previewFires(task.spec.schedule, new Date(task.nextFireTime.getTime() - 1), TASK_PREVIEW_FIRES, task.id);
  }

  /**
   * Creates the runs a recurring task's schedule would have had in [from, to], all due now. A fire
   * time keeps at most one run: a SKIPPED one is made to run, any other is left alone.
   */
  async backfill(taskId: string, from: Date, to: Date, overlap: OverlapPolicy, scope: Scope): Promise<BackfillResult> {
    const task = await this.get(taskId, scope);
    const schedule = task.spec.schedule;
    if (!isRecurring(schedule)) throw new FailedPreconditionError(`task ${taskId} has a ${schedule.kind} schedule; only cron and interval tasks can be backfilled`);
    if (task.state === "CANCELLED") throw new FailedPreconditionError(`task ${taskId} is cancelled; create a new task instead`);
    if (overlap === "CANCEL_PREVIOUS") throw new InvalidArgumentError("overlap_policy: a backfill takes ALLOW or SKIP");
    const now = this.clock.now();
    if (to < from) throw new InvalidArgumentError("end_time: must not be before start_time");
    if (to > now) throw new InvalidArgumentError(`end_time: ${to.toISOString()} is in the future; a backfill covers past fire times`);
    const times = fireTimesBetween(schedule, from, to, MAX_BACKFILL_RUNS);
    if (!times) throw new InvalidArgumentError(`the range holds more than ${MAX_BACKFILL_RUNS} fire times; backfill it in smaller ranges`);
    const written = await this.store.backfillRuns(
      times.map((t) => ({ ...newRun(task, t, "BACKFILL"), dueTime: now, overlap })),
      now,
    );
    if (written.created + written.reopened > 0) this.due.runsDue([now]);
    return { fireTimes: times.length, ...written, existing: times.length - written.created - written.reopened };
  }

  private async runOf(task: Task, runId: string): Promise<Run> {
    const run = await this.store.getRun(runId);
    if (!run || run.taskId !== task.id) throw new NotFoundError(`run ${runId} of task ${task.id} not found`);
    return run;
  }

  private async changeState(
    task: Task,
    from: TaskState[],
    to: TaskState,
    options: Pick<Parameters<Store["changeTaskState"]>[0], "nextRun" | "cancelRuns" | "records">,
  ): Promise<{ task: Task; cancelledRuns: number }> {
    const changed = await this.store.changeTaskState({ taskId: task.id, from, to, now: this.clock.now(), ...options });
    if (!changed) throw new FailedPreconditionError(`task ${task.id} is ${task.state} and cannot become ${to}`);
    return changed;
  }
}
