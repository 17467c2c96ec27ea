// The Postgres Store: composes the per-operation SQL functions into the Store's operations,
// each one transaction where it changes more than one row.
import { hostname } from "node:os";
import type pg from "pg";
import type { AuditEvent, Callback, NotificationRule, Task } from "../../domain/model.js";
import type {
  AttemptFailure,
  AttemptSuccess,
  AuditFilter,
  DecideAfterFailure,
  DeliveryFilter,
  DeliveryResult,
  FirePlan,
  HeartbeatOutcome,
  NewRun,
  ReportOutcome,
  Store,
  TaskFilter,
  WorkerSighting,
} from "../store.js";
import { createPool, inTransaction } from "./db.js";
import * as audit from "./audit-queries.js";
import * as cluster from "./cluster-queries.js";
import { inAuditedTransaction } from "./audit-queries.js";
import * as deliveries from "./delivery-queries.js";
import * as notifications from "./notification-queries.js";
import * as runs from "./run-queries.js";
import * as tasks from "./task-queries.js";
import * as workers from "./worker-queries.js";
import { migrate } from "../migrate.js";
import { raiseFence } from "./fence-queries.js";

export interface PgStoreOptions {
  url: string;
  poolSize?: number;
  /** Names this process where its scheduler's writes record who leads [host:pid]. */
  nodeId?: string;
}

export class PgStore implements Store {
  private constructor(
    readonly pool: pg.Pool,
    private readonly nodeId: string,
  ) {}

  static async open(options: PgStoreOptions): Promise<PgStore> {
    const pool = createPool(options.url, options.poolSize);
    await migrate(pool);
    return new PgStore(pool, options.nodeId ?? `${hostname()}:${process.pid}`);
  }

  async createTasks(items: { task: Task; firstRun?: NewRun }[]) {
    const described = (created: { task: Task }[]) => ({ namespace: created[0]?.task.spec.namespace, target: created.map((c) => c.task.id).join(",") });
    return inAuditedTransaction(this.pool, async (db) => {
      const inserted = await tasks.insertTasks(db, items.map((i) => i.task));
      const taken = items.filter((i) => !inserted.has(i.task.id)).map((i) => i.task.spec.idempotencyKey!);
      const existing = await tasks.selectTasksByIdempotencyKey(db, taken);
      const firstRuns = new Map(
        (await runs.insertRuns(db, items.filter((i) => inserted.has(i.task.id) && i.firstRun).map((i) => i.firstRun!))).map((r) => [r.taskId, r]),
      );
      return items.map(({ task }) =>
        inserted.has(task.id)
          ? { task, firstRun: firstRuns.get(task.id), existing: false }
          : { task: existing.get(task.spec.idempotencyKey!)!, existing: true },
      );
    }, described);
  }

  getTask(taskId: string) {
    return tasks.selectTask(this.pool, taskId);
  }

  listTasks(filter: TaskFilter, pageSize: number, pageToken: string) {
    return tasks.selectTasks(this.pool, filter, pageSize, pageToken);
  }

  async changeTaskState(change: Parameters<Store["changeTaskState"]>[0]) {
    return inAuditedTransaction(this.pool, async (db) => {
      const task = await tasks.selectTask(db, change.taskId, true);
      if (!task || !change.from.includes(task.state)) return undefined;
      const cancelledRuns = change.cancelRuns
        ? await runs.cancelRunsOfTasks(db, [task.id], change.cancelRuns.reason, change.now, {
            onlyScheduled: change.cancelRuns.onlyScheduled,
          })
        : 0;
      await runs.insertRuns(db, change.records ?? [], change.now);
      // The next fire may have been skipped by the pause this resume ends.
      if (change.nextRun) await runs.insertOrReopenSkipped(db, [change.nextRun], change.now);
      const updated = await tasks.updateTaskState(db, task.id, change.to, change.nextRun?.scheduledTime ?? null, change.now);
      return { task: updated, cancelledRuns };
    }, (r) => r && { namespace: r.task.spec.namespace, target: r.task.id });
  }

  async insertRun(run: NewRun) {
    const [inserted] = await inAuditedTransaction(this.pool, (db) => runs.insertRuns(db, [run]), ([r]) => r && { namespace: r.namespace, target: r.id });
    return inserted;
  }

  backfillRuns(items: NewRun[], now: Date) {
    return inAuditedTransaction(this.pool, (db) => runs.insertOrReopenSkipped(db, items, now), () => ({ namespace: items[0]?.namespace, target: items[0]?.taskId }));
  }

  getRun(runId: string) {
    return runs.selectRun(this.pool, runId);
  }

  listRuns(filter: Parameters<Store["listRuns"]>[0], pageSize: number, pageToken: string) {
    return runs.selectRuns(this.pool, filter, pageSize, pageToken);
  }

  cancelRun(taskId: string, runId: string, reason: string, now: Date) {
    return inAuditedTransaction(this.pool, (db) => runs.cancelRunsOfTasks(db, [taskId], reason, now, { runId }), (n) => (n > 0 ? { target: runId } : undefined));
  }

  reopenRun(runId: string, extraAttempts: number, now: Date) {
    return inAuditedTransaction(this.pool, (db) => runs.reopenRun(db, runId, extraAttempts, now), (r) => r && { namespace: r.namespace, target: r.id });
  }

  lastScheduledTime(taskId: string) {
    return runs.selectLastScheduledTime(this.pool, taskId);
  }

  lastFinishedRunId(taskId: string) {
    return runs.selectLastFinishedRunId(this.pool, taskId);
  }

  async appendLogs(runId: string, attempt: number, lines: { time: Date; message: string }[]) {
    return inTransaction(this.pool, async (db) => {
      const status = await runs.attemptStatus(db, runId, attempt);
      if (status !== "current") return status;
      await runs.insertLogs(db, runId, attempt, lines);
      return "ok" as const;
    });
  }

  listRunLogs(runId: string, afterSequence: bigint, limit: number) {
    return runs.selectLogs(this.pool, runId, afterSequence, limit);
  }

  dueRunIds(until: Date, limit: number) {
    return runs.selectDueRunIds(this.pool, until, limit);
  }

  dueRunsById(ids: string[]) {
    return runs.selectDueRunsById(this.pool, ids);
  }

  queuedRuns(limit: number, firedBefore?: Date) {
    return runs.selectQueuedRuns(this.pool, limit, firedBefore);
  }

  tasksWithActiveRuns(taskIds: string[], exceptRunIds: string[]) {
    return runs.selectTasksWithActiveRuns(this.pool, taskIds, exceptRunIds);
  }

  async applyFirePlan(plan: FirePlan, now: Date, fence: bigint) {
    return inTransaction(this.pool, async (db) => {
      await raiseFence(db, fence, this.nodeId);
      // Tasks before runs, the order in which cancel, pause and resume lock them: a fire that
      // locked a run first, then its task (the update, or the next run's foreign key), deadlocked
      // with a cancel holding the task and waiting for that run, and the cancel failed (UNAVAILABLE).
      await tasks.updateTasksAfterFire(db, plan.tasks, now);
      await runs.cancelRunsOfTasks(
        db,
        plan.cancelPrevious.map((c) => c.taskId),
        "cancelled by the overlap policy: a newer fire started",
        now,
        { exceptRunIds: plan.cancelPrevious.map((c) => c.keepRunId) },
      );
      await runs.endPendingRuns(db, plan.skip, "SKIPPED", now);
      await runs.endPendingRuns(db, plan.cancel, "CANCELLED", now);
      const queued = await runs.queueRuns(db, plan.queue, now);
      const inserted = await runs.insertRuns(db, plan.next, now);
      const caughtUp = inserted.filter((r) => r.state === "QUEUED");
      return [...queued, ...caughtUp];
    });
  }

  recurringTasksWithoutNextRun(dueBy: Date, limit: number) {
    return tasks.selectRecurringTasksWithoutNextRun(this.pool, dueBy, limit);
  }

  async timeOutAttempts(now: Date, limit: number, decide: DecideAfterFailure, fence: bigint) {
    // Most sweeps find nothing: they look first, so they do not hold the fence row (a few round
    // trips, each an event-loop turn of a busy control plane) while fire plans wait for it.
    if (!(await workers.anyExpiredAttempt(this.pool, now))) return 0;
    return inTransaction(this.pool, async (db) => {
      await raiseFence(db, fence, this.nodeId);
      const expired = await workers.lockExpiredAttempts(db, now, limit);
      const failures = expired.map((row) => {
        const error = row.deadline_at <= now
          ? { type: "StartToCloseTimeout", message: "the attempt ran past its start-to-close timeout", nonRetryable: false }
          : { type: "HeartbeatTimeout", message: "the worker stopped heartbeating", nonRetryable: false };
        const attempt = workers.toFailedAttempt(row, error);
        return { attempt, decision: decide(attempt), outcome: "TIMED_OUT" as const };
      });
      await workers.applyFailures(db, failures, now);
      return failures.length;
    });
  }

  claimRuns(runIds: string[], workerId: string, now: Date) {
    return workers.claimRuns(this.pool, runIds, workerId, now);
  }

  releaseClaims(claims: { runId: string; attempt: number }[], workerId: string) {
    return workers.releaseClaims(this.pool, claims, workerId);
  }

  async heartbeat(runId: string, attempt: number, details: Uint8Array | undefined, now: Date): Promise<HeartbeatOutcome> {
    const lease = await workers.extendLease(this.pool, runId, attempt, details, now);
    if (lease) return { ok: true, ...lease };
    const status = await runs.attemptStatus(this.pool, runId, attempt);
    return { ok: false, refusal: status === "not_found" ? "not_found" : "stale" };
  }

  async completeAttempts(reports: AttemptSuccess[], now: Date): Promise<ReportOutcome[]> {
    const accepted = await workers.succeedAttempts(this.pool, reports, now);
    return this.withRefusals(reports, (r) =>
      accepted.has(r.runId) ? { ok: true, willRetry: false, traceparent: accepted.get(r.runId) } : undefined,
    );
  }

  async failAttempts(reports: AttemptFailure[], now: Date, decide: DecideAfterFailure): Promise<ReportOutcome[]> {
    const decided = await inTransaction(this.pool, async (db) => {
      const locked = await workers.lockRunningAttempts(db, reports);
      const errors = new Map(reports.map((r) => [`${r.runId}/${r.attempt}`, r.error]));
      const failures = locked.map((row) => {
        const attempt = workers.toFailedAttempt(row, errors.get(`${row.id}/${row.attempt}`)!);
        const decision = decide(attempt);
        const outcome = decision.state === "CANCELLED" ? ("CANCELLED" as const) : ("FAILED" as const);
        return { attempt, decision, outcome };
      });
      await workers.applyFailures(db, failures, now);
      return new Map(failures.map((f) => [f.attempt.runId, { ...workers.outcomeOf(f.decision), traceparent: f.attempt.traceparent }]));
    });
    return this.withRefusals(reports, (r) => decided.get(r.runId));
  }

  /** Fills in why reports that changed nothing were refused: an unknown run, or a stale attempt. */
  private async withRefusals<R extends { runId: string }>(
    reports: R[],
    accepted: (r: R) => ReportOutcome | undefined,
  ): Promise<ReportOutcome[]> {
    const refused = reports.filter((r) => !accepted(r)).map((r) => r.runId);
    const known = refused.length
      ? new Set((await this.pool.query<{ id: string }>("SELECT id FROM runs WHERE id = ANY($1::uuid[])", [refused])).rows.map((r) => r.id))
      : new Set<string>();
    return reports.map((r) => accepted(r) ?? { ok: false, refusal: known.has(r.runId) ? "stale" : "not_found" });
  }

  clusterStats() {
    return runs.selectClusterStats(this.pool);
  }

  recordWorkerSighting(sighting: WorkerSighting) {
    return cluster.upsertWorkerSighting(this.pool, sighting);
  }

  forgetWorkers(before: Date) {
    return cluster.deleteWorkersSeenBefore(this.pool, before);
  }

  listWorkers(filter: { namespaces?: string[]; queue?: string; since: Date }, now: Date) {
    return cluster.selectWorkers(this.pool, filter, now);
  }

  readOverview(namespaces: string[] | undefined, now: Date) {
    return cluster.selectOverview(this.pool, namespaces, now);
  }

  dataKeys(by: "task" | "run", ids: string[]) {
    return tasks.selectDataKeys(this.pool, by, ids);
  }

  dataKeyPage(afterTaskId: string | undefined, limit: number) {
    return tasks.selectDataKeyPage(this.pool, afterTaskId, limit);
  }

  replaceDataKeys(changes: { taskId: string; from: Uint8Array; to: Uint8Array }[]) {
    return tasks.replaceDataKeys(this.pool, changes);
  }

  countDataKeysNotUnder(keyId: string) {
    return tasks.countDataKeysNotUnder(this.pool, keyId);
  }

  anyTaskEncrypted() {
    return tasks.anyTaskEncrypted(this.pool);
  }

  updateTaskCallback(taskId: string, callback: Callback | undefined, now: Date) {
    return inAuditedTransaction(this.pool, (db) => deliveries.updateTaskCallback(db, taskId, callback, now), (t) => t && { namespace: t.spec.namespace, target: t.id });
  }

  claimDueDeliveries(now: Date, limit: number, leaseMs: number, maxAgeMs: number) {
    return deliveries.claimDueDeliveries(this.pool, now, limit, leaseMs, maxAgeMs);
  }

  recordDeliveryAttempt(result: DeliveryResult) {
    return deliveries.recordDeliveryAttempt(this.pool, result);
  }

  listDeliveries(filter: DeliveryFilter, pageSize: number, pageToken: string) {
    return deliveries.selectDeliveries(this.pool, filter, pageSize, pageToken);
  }

  redeliver(deliveryId: string, now: Date, maxAgeMs: number, namespaces: string[] | undefined) {
    return inAuditedTransaction(this.pool, (db) => deliveries.redeliver(db, deliveryId, now, maxAgeMs, namespaces), (d) => d && { target: d.id });
  }

  createNotificationRule(rule: NotificationRule) {
    return inAuditedTransaction(this.pool, (db) => notifications.insertNotificationRule(db, rule), () => ({ namespace: rule.namespace, target: rule.id }));
  }

  listNotificationRules(filter: { taskId?: string; queue?: string; namespaces?: string[] }) {
    return notifications.selectNotificationRules(this.pool, filter);
  }

  deleteNotificationRule(ruleId: string, namespaces: string[] | undefined) {
    return inAuditedTransaction(this.pool, (db) => notifications.deleteNotificationRule(db, ruleId, namespaces), (deleted) => (deleted ? { target: ruleId } : undefined));
  }

  appendAudit(event: Omit<AuditEvent, "sequence">) {
    return audit.insertAudit(this.pool, event);
  }

  listAuditEvents(filter: AuditFilter, pageSize: number, pageToken: string) {
    return audit.selectAuditEvents(this.pool, filter, pageSize, pageToken);
  }

  claimDueNotifications(now: Date, limit: number, eventsPerMessage: number, leaseMs: number) {
    return notifications.claimDueNotifications(this.pool, now, limit, eventsPerMessage, leaseMs);
  }

  finishNotification(ruleId: string, eventIds: string[], error: string | undefined, now: Date) {
    return notifications.finishNotification(this.pool, ruleId, eventIds, error, now);
  }

  async close() {
    await this.pool.end();
  }
}
