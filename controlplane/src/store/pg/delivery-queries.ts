// SQL for callbacks: a task's callback, and the outbox of callback deliveries the runs trigger
// fills (migrations/0004_callbacks.sql).
import type { Callback, Delivery, DeliveryAttempt, Page, Task } from "../../domain/model.js";
import type { DeliveryFilter, DeliveryResult, DueDelivery } from "../store.js";
import type { Queryable } from "./db.js";
import { Filters, selectPage } from "./paged-select.js";
import { RUN_COLUMNS } from "./run-queries.js";
import { runFromRow, type RunRow } from "./rows.js";
import { selectTask } from "./task-queries.js";

const DELIVERY_COLUMNS = "id, task_id, run_id, attempt, event, run_state, url, state, attempts, next_attempt_time, create_time";

interface DeliveryRow {
  id: string;
  task_id: string;
  run_id: string;
  attempt: number;
  event: Delivery["event"];
  run_state: Delivery["runState"];
  url: string;
  state: Delivery["state"];
  attempts: (Omit<DeliveryAttempt, "time"> & { time: string })[];
  next_attempt_time: Date;
  create_time: Date;
}

function deliveryFromRow(r: DeliveryRow): Delivery {
  return {
    id: r.id,
    taskId: r.task_id,
    runId: r.run_id,
    attempt: r.attempt,
    event: r.event,
    runState: r.run_state,
    url: r.url,
    state: r.state,
    attempts: r.attempts.map((a) => ({ ...a, time: new Date(a.time) })),
    nextAttemptTime: r.state === "PENDING" ? r.next_attempt_time : undefined,
    createTime: r.create_time,
  };
}

/** Sets or clears a task's callback, and marks its runs so the trigger records (or skips) their events. */
export async function updateTaskCallback(db: Queryable, taskId: string, callback: Callback | undefined, now: Date): Promise<Task | undefined> {
  const { rowCount } = await db.query(
    "UPDATE tasks SET callback = $2, updated_at = $3 WHERE id = $1 AND state <> 'DELETED'",
    [taskId, callback ? JSON.stringify(callback) : null, now],
  );
  if (!rowCount) return undefined;
  // Finished runs are marked again if a retry reopens them.
  await db.query(
    "UPDATE runs SET callback = $2 WHERE task_id = $1 AND callback <> $2 AND state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING')",
    [taskId, callback !== undefined],
  );
  // A removed callback's events are not sent: there is no one to send them to, and no secret of its own.
  if (!callback) await db.query("UPDATE callback_deliveries SET state = 'STOPPED' WHERE task_id = $1 AND state = 'PENDING'", [taskId]);
  return selectTask(db, taskId);
}

/**
 * Claims deliveries due by `now`, oldest first, skipping rows another replica holds; each is
 * leased by moving its next attempt `leaseMs` ahead, so a replica dying mid-send only delays it.
 */
export async function claimDueDeliveries(db: Queryable, now: Date, limit: number, leaseMs: number, maxAgeMs: number): Promise<DueDelivery[]> {
  const { rows } = await db.query<
    DeliveryRow & { body: string | null; retry_until: Date; claim: number; retries: number; secrets: string[] | null; labels: Record<string, string>; run: Record<string, unknown> }
  >(
    // Deliveries whose window ran out while nothing could record their last attempt end here, not in a loop.
    `WITH expired AS (
       UPDATE callback_deliveries SET state = 'FAILED'
        WHERE state = 'PENDING' AND next_attempt_time <= $1 AND retry_until <= $1
     ), due AS (
       SELECT id FROM callback_deliveries WHERE state = 'PENDING' AND next_attempt_time <= $1 AND (retry_until IS NULL OR retry_until > $1)
        ORDER BY next_attempt_time LIMIT $2 FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE callback_deliveries d
          SET next_attempt_time = $1::timestamptz + $3 * interval '1 millisecond',
              retry_until = COALESCE(d.retry_until, d.create_time + $4 * interval '1 millisecond'),
              claim = d.claim + 1
         FROM due WHERE d.id = due.id
       RETURNING d.*
     )
     SELECT c.${DELIVERY_COLUMNS.split(", ").join(", c.")}, c.body, c.retry_until, c.claim, c.attempt_count - c.backoff_from AS retries,
            (SELECT array_agg(s) FROM jsonb_array_elements_text(t.callback->'secrets') s) AS secrets, t.labels,
            (SELECT to_jsonb(r) FROM (SELECT ${RUN_COLUMNS} FROM runs WHERE id = c.run_id) r) AS run
       FROM claimed c JOIN tasks t ON t.id = c.task_id`,
    [now, limit, leaseMs, maxAgeMs],
  );
  return rows.map((r) => ({
    delivery: deliveryFromRow(r),
    body: r.body ?? undefined,
    retryUntil: r.retry_until,
    claim: r.claim,
    retries: r.retries,
    taskSecrets: r.secrets ?? [],
    taskLabels: r.labels,
    run: runFromRow(reviveRunRow(r.run)),
  }));
}

/** to_jsonb leaves timestamps as strings and bytea as hex: revive them as pg would. */
function reviveRunRow(json: Record<string, unknown>): RunRow {
  const row = { ...json } as Record<string, unknown>;
  for (const key of ["scheduled_time", "due_time", "fire_time", "start_time", "end_time"]) if (row[key]) row[key] = new Date(row[key] as string);
  for (const key of ["output", "heartbeat_details"]) if (row[key]) row[key] = Buffer.from((row[key] as string).slice(2), "hex");
  return row as unknown as RunRow;
}

/** The attempts a delivery's history keeps; attempt_count has them all. */
const KEPT_ATTEMPTS = 50;

/**
 * Records one attempt and what follows it; refused (false) when the delivery was claimed again or
 * redelivered since, so a stale attempt never overrides a newer decision.
 */
export async function recordDeliveryAttempt(db: Queryable, result: DeliveryResult): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE callback_deliveries
        SET state = $3, next_attempt_time = COALESCE($4, next_attempt_time), body = COALESCE(body, $5),
            attempt_count = attempt_count + 1,
            attempts = (CASE WHEN jsonb_array_length(attempts) >= ${KEPT_ATTEMPTS} THEN attempts - 0 ELSE attempts END) || jsonb_build_array($6::jsonb)
      WHERE id = $1 AND claim = $2 AND state = 'PENDING'`,
    [result.id, result.claim, result.state, result.nextAttemptTime ?? null, result.body, JSON.stringify(result.attempt)],
  );
  return rowCount === 1;
}

export function selectDeliveries(db: Queryable, filter: DeliveryFilter, pageSize: number, pageToken: string): Promise<Page<Delivery>> {
  const filters = new Filters();
  if (filter.taskId) filters.add("task_id = ?", filter.taskId);
  if (filter.runId) filters.add("run_id = ?", filter.runId);
  if (filter.state) filters.add("state = ?", filter.state);
  const select = `SELECT seq, ${DELIVERY_COLUMNS} FROM callback_deliveries`;
  return selectPage<DeliveryRow & { seq: string }, Delivery>(db, { select, filters, newestFirst: true }, pageSize, pageToken, deliveryFromRow);
}

/** Makes a delivery due now with a fresh retry window, whatever its state. */
export async function redeliver(db: Queryable, deliveryId: string, now: Date, maxAgeMs: number, namespaces: string[] | undefined): Promise<Delivery | undefined> {
  const { rows } = await db.query<DeliveryRow>(
    `UPDATE callback_deliveries SET state = 'PENDING', next_attempt_time = $2, retry_until = $2::timestamptz + $3 * interval '1 millisecond',
            claim = claim + 1, backoff_from = attempt_count
      WHERE id = $1 AND ($4::text[] IS NULL OR task_id IN (SELECT id FROM tasks WHERE namespace = ANY($4::text[])))
      RETURNING ${DELIVERY_COLUMNS}`,
    [deliveryId, now, maxAgeMs, namespaces ?? null],
  );
  return rows[0] ? deliveryFromRow(rows[0]) : undefined;
}
