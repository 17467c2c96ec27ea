// SQL for reading and steering runs: one function per operation, taking its connection explicitly.
import type { LogEntry, Page, Run, RunState } from "../../domain/model.js";
import type { ClusterStats, DispatchRun, DueRun, NewRun, RunFilter } from "../store.js";
import type { Queryable } from "./db.js";
import { Filters, selectPage } from "./paged-select.js";
import { FENCE_TOKEN_SQL } from "./fence-queries.js";
import {
  inRunIdOrder,
  priorityFromDb,
  priorityToDb,
  runFromNew,
  runFromRow,
  scheduleFromJson,
  type RunRow,
} from "./rows.js";

/** Whether a task's callback, or a notification rule, watches a run: set when it is written or reopened. */
const HAS_CALLBACK = (run: string) => `EXISTS (SELECT 1 FROM tasks t WHERE t.id = ${run}.task_id AND t.callback IS NOT NULL)`;
const HAS_RULE = (run: string) =>
  `EXISTS (SELECT 1 FROM notification_rules n WHERE n.task_id = ${run}.task_id OR (n.queue = ${run}.queue AND n.namespace = ${run}.namespace))`;

export const RUN_COLUMNS =
  "id, namespace, task_id, task_type, queue, priority, state, trigger, scheduled_time, due_time, fire_time, start_time, end_time, attempt, max_attempts, cancel_requested, output, output_type, error, reason, heartbeat_details, traceparent, attempts";

/**
 * Inserts runs; a (task, scheduled time) that exists already is skipped. Returns the inserted runs
 * as written, built from the input (reading whole rows back would double the cost of a batch).
 */
export async function insertRuns(db: Queryable, runs: NewRun[], now = new Date()): Promise<Run[]> {
  const written = await writeRuns(db, runs, now, "DO NOTHING");
  const inserted = new Set(written.map((r) => r.id));
  return runs.filter((r) => inserted.has(r.id)).map((r) => runFromNew(r, now));
}

/**
 * Inserts runs; where a (task, scheduled time) has a SKIPPED run, that run is made to run instead
 * (a backfill of a skipped fire, a resume before a fire its pause skipped), and any other run
 * there is left alone.
 */
export async function insertOrReopenSkipped(db: Queryable, runs: NewRun[], now: Date): Promise<{ created: number; reopened: number }> {
  const written = await writeRuns(
    db,
    runs,
    now,
    `DO UPDATE SET state = EXCLUDED.state, trigger = EXCLUDED.trigger, due_time = EXCLUDED.due_time, overlap_policy = EXCLUDED.overlap_policy,
                   max_attempts = EXCLUDED.max_attempts, end_time = NULL, fire_time = NULL,
                   reason = CASE WHEN EXCLUDED.trigger = 'BACKFILL'
                                 THEN 'reopened by a backfill; skipped before: ' || COALESCE(runs.reason, 'no reason given') END,
                   callback = EXCLUDED.callback, notify = EXCLUDED.notify
       WHERE runs.state = 'SKIPPED'`,
  );
  const created = written.filter((r) => r.created).length;
  return { created, reopened: written.length - created };
}

/** One statement for a batch of runs; `onConflict` decides what an existing (task, scheduled time) gets. */
async function writeRuns(db: Queryable, runs: NewRun[], now: Date, onConflict: string): Promise<{ id: string; created: boolean }[]> {
  if (runs.length === 0) return [];
  const { rows } = await db.query<{ id: string; created: boolean }>(
    `INSERT INTO runs (id, namespace, task_id, task_type, queue, priority, state, trigger, scheduled_time, due_time, max_attempts, traceparent,
                       payload_override, reason, overlap_policy, fire_time, end_time, fence_token, callback, notify)
     SELECT u.id, u.namespace, u.task_id, u.task_type, u.queue, u.priority, u.state, u.trigger, u.scheduled_time,
            COALESCE(u.due_time, u.scheduled_time), u.max_attempts,
            u.traceparent, u.payload_override, u.reason, u.overlap_policy,
            CASE WHEN u.state = 'QUEUED' THEN $13::timestamptz END, CASE WHEN u.state = 'SKIPPED' THEN $13::timestamptz END,
            NULLIF(current_setting('taskplane.fence', true), '')::bigint,
            ${HAS_CALLBACK("u")}, ${HAS_RULE("u")}
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::timestamptz[], $8::int[], $9::text[],
                   $10::bytea[], $11::text[], $12::text[], $14::timestamptz[], $15::text[], $16::text[])
         AS u(id, task_id, task_type, queue, priority, trigger, scheduled_time, max_attempts, traceparent, payload_override, state, reason,
              due_time, overlap_policy, namespace)
     ON CONFLICT (task_id, scheduled_time) ${onConflict}
     RETURNING id, xmax = 0 AS created`,
    [
      runs.map((r) => r.id),
      runs.map((r) => r.taskId),
      runs.map((r) => r.taskType),
      runs.map((r) => r.queue),
      runs.map((r) => priorityToDb(r.priority)),
      runs.map((r) => r.trigger),
      runs.map((r) => r.scheduledTime),
      runs.map((r) => r.maxAttempts),
      runs.map((r) => r.traceparent ?? null),
      runs.map((r) => (r.payloadOverride ? Buffer.from(r.payloadOverride.data) : null)),
      runs.map((r) => r.state ?? "SCHEDULED"),
      runs.map((r) => r.reason ?? null),
      now,
      runs.map((r) => r.dueTime ?? null),
      runs.map((r) => r.overlap ?? null),
      runs.map((r) => r.namespace),
    ],
  );
  return rows;
}

export async function selectRun(db: Queryable, runId: string): Promise<Run | undefined> {
  const { rows } = await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = $1`, [runId]);
  return rows[0] ? runFromRow(rows[0]) : undefined;
}

export function selectRuns(db: Queryable, filter: RunFilter, pageSize: number, pageToken: string): Promise<Page<Run>> {
  const filters = new Filters();
  if (filter.namespaces) filters.add("namespace = ANY(?::text[])", filter.namespaces);
  if (filter.taskId) filters.add("task_id = ?", filter.taskId);
  if (filter.state) filters.add("state = ?", filter.state);
  if (filter.scheduledFrom) filters.add("scheduled_time >= ?", filter.scheduledFrom);
  if (filter.scheduledTo) filters.add("scheduled_time <= ?", filter.scheduledTo);
  const select = `SELECT seq, ${RUN_COLUMNS} FROM runs`;
  return selectPage<RunRow & { seq: string }, Run>(db, { select, filters, newestFirst: true }, pageSize, pageToken, runFromRow);
}

/**
 * Cancels a task's pending runs (optionally only SCHEDULED ones) and asks its running attempts
 * to stop. Returns how many runs were touched. The runs are locked in id order, as claims, fire
 * plans and reports lock theirs (`inRunIdOrder`): in the task's index order, a cancel held one run
 * of a batch and waited for another the batch held.
 */
export async function cancelRunsOfTasks(
  db: Queryable,
  taskIds: string[],
  reason: string,
  now: Date,
  options: { onlyScheduled?: boolean; exceptRunIds?: string[]; runId?: string } = {},
): Promise<number> {
  if (taskIds.length === 0) return 0;
  const pendingStates = options.onlyScheduled ? ["SCHEDULED"] : ["SCHEDULED", "QUEUED", "RETRYING"];
  const { rowCount } = await db.query(
    `UPDATE runs SET
        state = CASE WHEN state = 'RUNNING' THEN state ELSE $6 END,
        cancel_requested = cancel_requested OR state = 'RUNNING',
        reason = $2, end_time = CASE WHEN state = 'RUNNING' THEN end_time ELSE $3 END, fence_token = ${FENCE_TOKEN_SQL}
      WHERE id IN (SELECT id FROM runs
                    WHERE task_id = ANY($1::uuid[])
                      AND (state = ANY($4::text[]) OR (state = 'RUNNING' AND NOT $5::boolean))
                      AND NOT (id = ANY($7::uuid[]))
                      AND ($8::uuid IS NULL OR id = $8)
                      AND (NOT $5::boolean OR trigger = 'SCHEDULE')
                    ORDER BY id FOR NO KEY UPDATE)`,
    [
      taskIds,
      reason,
      now,
      pendingStates,
      options.onlyScheduled ?? false,
      options.onlyScheduled ? "SKIPPED" : "CANCELLED",
      options.exceptRunIds ?? [],
      options.runId ?? null,
    ],
  );
  return rowCount ?? 0;
}

export async function reopenRun(db: Queryable, runId: string, extraAttempts: number, now: Date): Promise<Run | undefined> {
  const { rows } = await db.query<RunRow>(
    `UPDATE runs SET state = 'RETRYING', due_time = $3, max_attempts = attempt + $2, cancel_requested = false,
            reason = 'retried by a user', end_time = NULL,
            callback = ${HAS_CALLBACK("runs")}, notify = ${HAS_RULE("runs")}
      WHERE id = $1 AND state IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')
      RETURNING ${RUN_COLUMNS}`,
    [runId, extraAttempts, now],
  );
  return rows[0] ? runFromRow(rows[0]) : undefined;
}

export async function selectLastFinishedRunId(db: Queryable, taskId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM runs WHERE task_id = $1 AND state IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT')
      ORDER BY end_time DESC NULLS LAST, scheduled_time DESC LIMIT 1`,
    [taskId],
  );
  return rows[0]?.id;
}

/** The latest scheduled time of the task's scheduled fires (not triggers or backfills), one step back on its index. */
export async function selectLastScheduledTime(db: Queryable, taskId: string): Promise<Date | undefined> {
  const { rows } = await db.query<{ scheduled_time: Date }>(
    `SELECT scheduled_time FROM runs WHERE task_id = $1 AND trigger = 'SCHEDULE' ORDER BY scheduled_time DESC LIMIT 1`,
    [taskId],
  );
  return rows[0]?.scheduled_time;
}

/** The run's current attempt state, for telling a stale report from an unknown run. */
export async function attemptStatus(db: Queryable, runId: string, attempt: number): Promise<"current" | "not_found" | "stale"> {
  const { rows } = await db.query<{ attempt: number; state: string }>("SELECT attempt, state FROM runs WHERE id = $1", [runId]);
  if (!rows[0]) return "not_found";
  return rows[0].attempt === attempt && rows[0].state === "RUNNING" ? "current" : "stale";
}

export async function insertLogs(
  db: Queryable,
  runId: string,
  attempt: number,
  lines: { time: Date; message: string }[],
): Promise<void> {
  await db.query(
    `INSERT INTO run_logs (run_id, attempt, time, message)
     SELECT $1, $2, u.time, u.message FROM unnest($3::timestamptz[], $4::text[]) AS u(time, message)`,
    [runId, attempt, lines.map((l) => l.time), lines.map((l) => l.message)],
  );
}

export async function selectLogs(db: Queryable, runId: string, afterSequence: bigint, limit: number): Promise<LogEntry[]> {
  const { rows } = await db.query<{ attempt: number; time: Date; message: string; sequence: string }>(
    "SELECT attempt, time, message, sequence FROM run_logs WHERE run_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3",
    [runId, afterSequence.toString(), limit],
  );
  return rows.map((r) => ({ attempt: r.attempt, time: r.time, message: r.message, sequence: BigInt(r.sequence) }));
}

interface DueRow {
  id: string;
  namespace: string;
  task_id: string;
  queue: string;
  task_type: string;
  priority: number;
  due_time: Date;
  state: DueRun["state"];
  trigger: DueRun["trigger"];
  scheduled_time: Date;
  max_attempts: number;
  traceparent: string | null;
  task_state: DueRun["taskState"];
  schedule: Record<string, unknown>;
  overlap_policy: DueRun["overlap"] | null;
}

/** Ids of the runs falling due by `until`, soonest first, through the runs_due index: no task is read. */
export async function selectDueRunIds(db: Queryable, until: Date, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM runs WHERE state IN ('SCHEDULED', 'RETRYING') AND due_time <= $1 ORDER BY due_time LIMIT $2",
    [until, limit],
  );
  return rows.map((r) => r.id);
}

/** The runs among `ids` still waiting to fall due, soonest first, with what their fate depends on. */
export async function selectDueRunsById(db: Queryable, ids: string[]): Promise<DueRun[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<DueRow>(
    `SELECT r.id, r.namespace, r.task_id, r.queue, r.task_type, r.priority, r.due_time, r.state, r.trigger, r.scheduled_time,
            r.max_attempts, r.traceparent, r.overlap_policy, t.state AS task_state, t.schedule
       FROM runs r JOIN tasks t ON t.id = r.task_id
      WHERE r.id = ANY($1::uuid[]) AND r.state IN ('SCHEDULED', 'RETRYING')
      ORDER BY r.due_time`,
    [ids],
  );
  return rows.map((r) => ({
    id: r.id,
    namespace: r.namespace,
    taskId: r.task_id,
    queue: r.queue,
    taskType: r.task_type,
    priority: priorityFromDb(r.priority),
    dueTime: r.due_time,
    state: r.state,
    trigger: r.trigger,
    scheduledTime: r.scheduled_time,
    maxAttempts: r.max_attempts,
    traceparent: r.traceparent ?? undefined,
    taskState: r.task_state,
    schedule: scheduleFromJson(r.schedule),
    overlap: r.overlap_policy ?? undefined,
  }));
}

const DISPATCH_COLUMNS = "id, namespace, queue, task_type, priority, due_time, traceparent";

interface DispatchRow {
  id: string;
  namespace: string;
  queue: string;
  task_type: string;
  priority: number;
  due_time: Date;
  traceparent: string | null;
}

const dispatchRunFromRow = (r: DispatchRow): DispatchRun => ({
  id: r.id,
  namespace: r.namespace,
  queue: r.queue,
  taskType: r.task_type,
  priority: priorityFromDb(r.priority),
  dueTime: r.due_time,
  traceparent: r.traceparent ?? undefined,
});

export async function selectQueuedRuns(db: Queryable, limit: number, firedBefore?: Date): Promise<DispatchRun[]> {
  const { rows } = await db.query<DispatchRow>(
    `SELECT ${DISPATCH_COLUMNS} FROM runs
      WHERE state = 'QUEUED' AND ($2::timestamptz IS NULL OR fire_time < $2) ORDER BY due_time LIMIT $1`,
    [limit, firedBefore ?? null],
  );
  return rows.map(dispatchRunFromRow);
}

export async function selectTasksWithActiveRuns(db: Queryable, taskIds: string[], exceptRunIds: string[]): Promise<Set<string>> {
  if (taskIds.length === 0) return new Set();
  const { rows } = await db.query<{ task_id: string }>(
    `SELECT DISTINCT task_id FROM runs
      WHERE task_id = ANY($1::uuid[]) AND state IN ('QUEUED', 'RUNNING', 'RETRYING') AND NOT (id = ANY($2::uuid[]))`,
    [taskIds, exceptRunIds],
  );
  return new Set(rows.map((r) => r.task_id));
}

/**
 * Marks due runs QUEUED (from SCHEDULED or RETRYING); returns those that changed. A run whose row
 * another transaction holds is left alone: it is a poll's claim, taking the run to RUNNING, as
 * runs go to workers before their fire is written. Waiting for it would hold the fence row (every
 * scheduler write) meanwhile, and two multi-row updates locking in their plans' orders can deadlock.
 */
export async function queueRuns(db: Queryable, runIds: string[], now: Date): Promise<DispatchRun[]> {
  if (runIds.length === 0) return [];
  const { rows } = await db.query<DispatchRow>(
    `UPDATE runs SET state = 'QUEUED', fire_time = COALESCE(fire_time, GREATEST($2::timestamptz, due_time)), fence_token = ${FENCE_TOKEN_SQL}
      WHERE id IN (SELECT id FROM runs WHERE id = ANY($1::uuid[]) AND state IN ('SCHEDULED', 'RETRYING') FOR UPDATE SKIP LOCKED)
      RETURNING ${DISPATCH_COLUMNS}`,
    [runIds, now],
  );
  return rows.map(dispatchRunFromRow);
}

/** Ends pending fires without running them (SKIPPED or CANCELLED), each with its reason. */
export async function endPendingRuns(
  db: Queryable,
  unordered: { runId: string; reason: string }[],
  state: "SKIPPED" | "CANCELLED",
  now: Date,
): Promise<void> {
  if (unordered.length === 0) return;
  const ends = inRunIdOrder(unordered);
  await db.query(
    `UPDATE runs r SET state = $3, reason = u.reason, end_time = $4, fence_token = ${FENCE_TOKEN_SQL}
       FROM unnest($1::uuid[], $2::text[]) AS u(id, reason)
      WHERE r.id = u.id AND r.state IN ('SCHEDULED', 'RETRYING', 'QUEUED')`,
    [ends.map((e) => e.runId), ends.map((e) => e.reason), state, now],
  );
}

/**
 * Unfinished runs by state, queue depths and busy workers, in one statement so all three come
 * from one snapshot; each count reads one partial index.
 */
export async function selectClusterStats(db: Queryable): Promise<ClusterStats> {
  const { rows } = await db.query<{
    by_state: { state: RunState; count: number }[];
    depth: { queue: string; priority: number; count: number }[] | null;
    workers: number;
  }>(
    `SELECT (SELECT json_agg(s) FROM (
               SELECT state, count(*) AS count FROM runs WHERE state IN ('SCHEDULED', 'RETRYING') GROUP BY state
               UNION ALL SELECT 'QUEUED', count(*) FROM runs WHERE state = 'QUEUED'
               UNION ALL SELECT 'RUNNING', count(*) FROM runs WHERE state = 'RUNNING') s) AS by_state,
            (SELECT json_agg(d) FROM (
               SELECT queue, priority, count(*) AS count FROM runs WHERE state = 'QUEUED' GROUP BY queue, priority) d) AS depth,
            (SELECT count(DISTINCT worker_id) FROM runs WHERE state = 'RUNNING')::int AS workers`,
  );
  const row = rows[0]!;
  return {
    runsByState: row.by_state,
    queueDepth: (row.depth ?? []).map((r) => ({ queue: r.queue, priority: priorityFromDb(r.priority), count: r.count })),
    activeWorkers: row.workers,
  };
}
