// SQL for tasks: one function per operation, taking its connection explicitly.
import type { Page, Task } from "../../domain/model.js";
import type { TaskDataKey, TaskFilter } from "../store.js";
import type { Queryable } from "./db.js";
import { Filters, selectPage } from "./paged-select.js";
import { taskFromRow, taskToParams, type TaskRow } from "./rows.js";

const TASK_COLUMNS =
  "id, namespace, type, queue, priority, payload, content_type, labels, idempotency_key, retry_policy, timeouts, schedule, callback, state, next_fire_time, created_at, updated_at, data_key";

const TASK_ARRAY_TYPES = [
  "uuid", "text", "text", "text", "smallint", "bytea", "text", "jsonb", "text", "jsonb", "jsonb", "jsonb", "jsonb", "text", "timestamptz", "timestamptz", "bytea",
];

/** Inserts tasks in one statement; returns the ids inserted (a task whose idempotency key is taken is not). */
export async function insertTasks(db: Queryable, tasks: Task[]): Promise<Set<string>> {
  if (tasks.length === 0) return new Set();
  const rows = tasks.map(taskToParams);
  const columns = TASK_ARRAY_TYPES.map((_, i) => rows.map((r) => r[i]));
  const { rows: inserted } = await db.query<{ id: string }>(
    `INSERT INTO tasks (id, namespace, type, queue, priority, payload, content_type, labels, idempotency_key, retry_policy, timeouts, schedule, callback, state, next_fire_time, created_at, data_key, updated_at)
     SELECT *, u.created_at FROM unnest(${TASK_ARRAY_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(", ")})
       AS u(id, namespace, type, queue, priority, payload, content_type, labels, idempotency_key, retry_policy, timeouts, schedule, callback, state, next_fire_time, created_at, data_key)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING id`,
    columns,
  );
  return new Set(inserted.map((r) => r.id));
}

export async function selectTasksByIdempotencyKey(db: Queryable, keys: string[]): Promise<Map<string, Task>> {
  if (keys.length === 0) return new Map();
  const { rows } = await db.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM tasks WHERE idempotency_key = ANY($1::text[])`, [keys]);
  return new Map(rows.map((r) => [r.idempotency_key!, taskFromRow(r)]));
}

/**
 * `forUpdate` takes the lock an UPDATE of the task takes, not FOR UPDATE: that one would also
 * stop the foreign-key checks of runs inserted for the task (a backfill, a trigger) while the
 * holder waits for runs those inserts hold, a deadlock.
 */
export async function selectTask(db: Queryable, taskId: string, forUpdate = false): Promise<Task | undefined> {
  const { rows } = await db.query<TaskRow>(
    `SELECT ${TASK_COLUMNS} FROM tasks WHERE id = $1${forUpdate ? " FOR NO KEY UPDATE" : ""}`,
    [taskId],
  );
  return rows[0] ? taskFromRow(rows[0]) : undefined;
}

export function selectTasks(db: Queryable, filter: TaskFilter, pageSize: number, pageToken: string): Promise<Page<Task>> {
  const filters = new Filters();
  if (filter.namespaces) filters.add("namespace = ANY(?::text[])", filter.namespaces);
  if (filter.state) filters.add("state = ?", filter.state);
  else filters.add("state <> ?", "DELETED");
  if (filter.type) filters.add("type = ?", filter.type);
  if (filter.queue) filters.add("queue = ?", filter.queue);
  if (Object.keys(filter.labels).length > 0) filters.add("labels @> ?", JSON.stringify(filter.labels));
  const select = `SELECT seq, ${TASK_COLUMNS} FROM tasks`;
  return selectPage<TaskRow & { seq: string }, Task>(db, { select, filters, newestFirst: false }, pageSize, pageToken, taskFromRow);
}

export async function updateTaskState(
  db: Queryable,
  taskId: string,
  state: Task["state"],
  nextFireTime: Date | null,
  now: Date,
): Promise<Task> {
  const { rows } = await db.query<TaskRow>(
    `UPDATE tasks SET state = $2, next_fire_time = $3, updated_at = $4 WHERE id = $1 RETURNING ${TASK_COLUMNS}`,
    [taskId, state, nextFireTime, now],
  );
  return taskFromRow(rows[0]!);
}

export async function selectRecurringTasksWithoutNextRun(
  db: Queryable,
  dueBy: Date,
  limit: number,
): Promise<{ task: Task; lastScheduledTime?: Date }[]> {
  // A task's next fire time is its pending run's scheduled time, so only tasks whose next fire is
  // due can have lost it: the scan reads no run of the others. Each candidate's latest scheduled
  // run is one step back on the (task_id, scheduled_time) index, a plan that stays cheap whatever
  // the planner's statistics say (an anti-join over all runs did not, on tables not yet analyzed).
  const { rows } = await db.query<TaskRow & { last_scheduled_time: Date | null }>(
    `SELECT ${TASK_COLUMNS.split(", ").map((c) => `t.${c}`).join(", ")}, latest.scheduled_time AS last_scheduled_time
       FROM tasks t
       LEFT JOIN LATERAL (SELECT r.scheduled_time, r.state FROM runs r WHERE r.task_id = t.id AND r.trigger = 'SCHEDULE'
                           ORDER BY r.scheduled_time DESC LIMIT 1) latest ON true
      WHERE t.state = 'ACTIVE' AND t.schedule->>'kind' IN ('cron', 'interval')
        AND (t.next_fire_time IS NULL OR t.next_fire_time <= $1)
        AND (latest.state IS NULL OR latest.state NOT IN ('SCHEDULED', 'QUEUED'))
      LIMIT $2`,
    [dueBy, limit],
  );
  return rows.map((r) => ({ task: taskFromRow(r), lastScheduledTime: r.last_scheduled_time ?? undefined }));
}

/** After fires: each task's next fire time, and COMPLETED where the schedule has no more. */
export async function updateTasksAfterFire(
  db: Queryable,
  tasks: { taskId: string; nextFireTime?: Date; completed: boolean }[],
  now: Date,
): Promise<void> {
  if (tasks.length === 0) return;
  await db.query(
    `UPDATE tasks t SET next_fire_time = u.next_fire_time,
            state = CASE WHEN u.completed AND t.state = 'ACTIVE' THEN 'COMPLETED' ELSE t.state END,
            updated_at = $4
       FROM unnest($1::uuid[], $2::timestamptz[], $3::boolean[]) AS u(id, next_fire_time, completed)
      WHERE t.id = u.id AND t.state IN ('ACTIVE', 'PAUSED')`,
    [tasks.map((t) => t.taskId), tasks.map((t) => t.nextFireTime ?? null), tasks.map((t) => t.completed), now],
  );
}

/** Each task's (or each run's task's) namespace and wrapped data key, keyed by the id asked for. */
export async function selectDataKeys(db: Queryable, by: "task" | "run", ids: string[]): Promise<Map<string, TaskDataKey>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ id: string; task_id: string; namespace: string; data_key: Buffer | null }>(
    by === "task"
      ? "SELECT id, id AS task_id, namespace, data_key FROM tasks WHERE id = ANY($1::uuid[])"
      : "SELECT r.id, t.id AS task_id, t.namespace, t.data_key FROM runs r JOIN tasks t ON t.id = r.task_id WHERE r.id = ANY($1::uuid[])",
    [ids],
  );
  return new Map(rows.map((r) => [r.id, { taskId: r.task_id, namespace: r.namespace, dataKey: r.data_key ? new Uint8Array(r.data_key) : undefined }]));
}

/** Encrypted tasks' data keys in id order after `afterTaskId`, for re-wrapping them. */
export async function selectDataKeyPage(db: Queryable, afterTaskId: string | undefined, limit: number): Promise<TaskDataKey[]> {
  const { rows } = await db.query<{ id: string; namespace: string; data_key: Buffer }>(
    "SELECT id, namespace, data_key FROM tasks WHERE data_key IS NOT NULL AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
    [afterTaskId ?? null, limit],
  );
  return rows.map((r) => ({ taskId: r.id, namespace: r.namespace, dataKey: new Uint8Array(r.data_key) }));
}

/** Replaces data keys that are still what they were read as; returns how many were replaced. */
export async function replaceDataKeys(db: Queryable, changes: { taskId: string; from: Uint8Array; to: Uint8Array }[]): Promise<number> {
  if (changes.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE tasks t SET data_key = c.to_key FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS c(id, from_key, to_key)
      WHERE t.id = c.id AND t.data_key = c.from_key`,
    [changes.map((c) => c.taskId), changes.map((c) => Buffer.from(c.from)), changes.map((c) => Buffer.from(c.to))],
  );
  return rowCount ?? 0;
}

/** Encrypted tasks whose data key is wrapped by a key other than `keyId` (the id is in the wrapped key's header). */
export async function countDataKeysNotUnder(db: Queryable, keyId: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    "SELECT count(*) FROM tasks WHERE data_key IS NOT NULL AND substring(data_key FROM 3 FOR get_byte(data_key, 1)) <> convert_to($1, 'UTF8')",
    [keyId],
  );
  return Number(rows[0]!.count);
}

export async function anyTaskEncrypted(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ found: boolean }>("SELECT EXISTS (SELECT 1 FROM tasks WHERE data_key IS NOT NULL) AS found");
  return rows[0]!.found;
}
