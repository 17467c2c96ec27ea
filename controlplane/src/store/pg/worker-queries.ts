// SQL for the worker protocol: claiming runs, heartbeats and attempt results. Every statement
// is conditional on (run, attempt, RUNNING), so stale or duplicate reports change nothing.
import type { Assignment, AttemptOutcome, RetryPolicy, RunError } from "../../domain/model.js";
import type { AttemptFailure, AttemptSuccess, DecideAfterFailure, FailedAttempt, FailureDecision, ReportOutcome } from "../store.js";
import type { Queryable } from "./db.js";
import { FENCE_TOKEN_SQL } from "./fence-queries.js";
import { inRunIdOrder, priorityFromDb } from "./rows.js";

// An attempt's lease: the next heartbeat deadline, or the start-to-close deadline when the task has no heartbeat timeout.
const LEASE_SQL = (now: string, deadline: string) =>
  `CASE WHEN (t.timeouts->>'heartbeatMs')::bigint > 0
        THEN LEAST(${now} + (t.timeouts->>'heartbeatMs')::bigint * interval '1 millisecond', ${deadline})
        ELSE ${deadline} END`;

/** The run's attempts with the last (current) one ended: outcome, end time and error. */
const END_ATTEMPT_SQL = (outcome: string, endTime: string, error: string) =>
  `jsonb_set(r.attempts, ARRAY[(jsonb_array_length(r.attempts) - 1)::text],
             r.attempts->-1 || jsonb_strip_nulls(jsonb_build_object('outcome', ${outcome}, 'endTime', ${endTime}, 'error', ${error})))`;

interface ClaimRow {
  id: string;
  attempt: number;
  task_id: string;
  task_type: string;
  payload: Buffer;
  content_type: string;
  priority: number;
  labels: Record<string, string>;
  scheduled_time: Date;
  max_attempts: number;
  deadline_at: Date;
  heartbeat_ms: string;
  heartbeat_details: Buffer | null;
  traceparent: string | null;
  namespace: string;
  data_key: Buffer | null;
}

/** Starts the next attempt of each due, pending run for a worker; runs no longer pending are left out. */
export async function claimRuns(db: Queryable, runIds: string[], workerId: string, now: Date): Promise<Assignment[]> {
  if (runIds.length === 0) return [];
  const { rows } = await db.query<ClaimRow>(
    `WITH started AS (
       UPDATE runs r SET state = 'RUNNING', attempt = r.attempt + 1, worker_id = $2, start_time = $3, end_time = NULL,
              fire_time = COALESCE(r.fire_time, $3),
              deadline_at = $3 + (t.timeouts->>'startToCloseMs')::bigint * interval '1 millisecond',
              attempts = r.attempts || jsonb_build_array(jsonb_build_object(
                'number', r.attempt + 1, 'workerId', $2::text, 'outcome', 'RUNNING', 'startTime', $3::timestamptz)),
              lease_expires_at = ${LEASE_SQL("$3", "$3 + (t.timeouts->>'startToCloseMs')::bigint * interval '1 millisecond'")}
         FROM tasks t
        WHERE r.id = ANY($1::uuid[]) AND t.id = r.task_id AND r.state IN ('SCHEDULED', 'QUEUED', 'RETRYING')
          AND r.due_time <= $3 AND NOT r.cancel_requested
        RETURNING r.id, r.attempt, r.task_id, r.task_type, COALESCE(r.payload_override, t.payload) AS payload, t.content_type,
                  r.priority, t.labels, r.scheduled_time, r.max_attempts, r.deadline_at,
                  t.timeouts->>'heartbeatMs' AS heartbeat_ms, r.heartbeat_details, r.traceparent, r.namespace, t.data_key)
     SELECT * FROM started`,
    [runIds, workerId, now],
  );
  return rows.map((r) => ({
    runId: r.id,
    attempt: r.attempt,
    taskId: r.task_id,
    taskType: r.task_type,
    payload: { data: new Uint8Array(r.payload), contentType: r.content_type },
    priority: priorityFromDb(r.priority),
    labels: r.labels,
    scheduledTime: r.scheduled_time,
    maxAttempts: r.max_attempts,
    startTime: now,
    deadline: r.deadline_at,
    heartbeatTimeoutMs: Number(r.heartbeat_ms),
    heartbeatDetails: r.heartbeat_details ? new Uint8Array(r.heartbeat_details) : undefined,
    traceparent: r.traceparent ?? undefined,
    sealing: r.data_key ? { namespace: r.namespace, dataKey: new Uint8Array(r.data_key) } : undefined,
  }));
}

/** Puts claimed runs back to QUEUED, dropping the attempt the claim started, if it is still that worker's. */
export async function releaseClaims(db: Queryable, unordered: { runId: string; attempt: number }[], workerId: string): Promise<number> {
  if (unordered.length === 0) return 0;
  const claims = inRunIdOrder(unordered);
  const { rowCount } = await db.query(
    `UPDATE runs r SET state = 'QUEUED', attempt = r.attempt - 1, worker_id = NULL, deadline_at = NULL, lease_expires_at = NULL,
            start_time = (r.attempts -> -2 ->> 'startTime')::timestamptz, attempts = r.attempts - -1
       FROM unnest($1::uuid[], $2::int[]) AS c(id, attempt)
      WHERE r.id = c.id AND r.attempt = c.attempt AND r.state = 'RUNNING' AND r.worker_id = $3`,
    [claims.map((c) => c.runId), claims.map((c) => c.attempt), workerId],
  );
  return rowCount ?? 0;
}

export async function extendLease(
  db: Queryable,
  runId: string,
  attempt: number,
  details: Uint8Array | undefined,
  now: Date,
): Promise<{ cancelRequested: boolean; leaseExpiresAt: Date } | undefined> {
  const { rows } = await db.query<{ cancel_requested: boolean; lease_expires_at: Date }>(
    `UPDATE runs r SET lease_expires_at = ${LEASE_SQL("$4::timestamptz", "r.deadline_at")}, heartbeat_details = COALESCE($3::bytea, r.heartbeat_details)
       FROM tasks t
      WHERE r.id = $1 AND r.attempt = $2 AND r.state = 'RUNNING' AND t.id = r.task_id
      RETURNING r.cancel_requested, r.lease_expires_at`,
    [runId, attempt, details ? Buffer.from(details) : null, now],
  );
  return rows[0] ? { cancelRequested: rows[0].cancel_requested, leaseExpiresAt: rows[0].lease_expires_at } : undefined;
}

/** Records successful attempts; returns the runs that were RUNNING at that attempt, with their traceparents. */
export async function succeedAttempts(db: Queryable, unordered: AttemptSuccess[], now: Date): Promise<Map<string, string | undefined>> {
  const reports = inRunIdOrder(unordered);
  const { rows } = await db.query<{ id: string; traceparent: string | null }>(
    `UPDATE runs r SET state = 'SUCCEEDED', output = u.output, output_type = u.output_type, end_time = $5,
            lease_expires_at = NULL, error = NULL, attempts = ${END_ATTEMPT_SQL("'SUCCEEDED'", "$5::timestamptz", "NULL")}
       FROM unnest($1::uuid[], $2::int[], $3::bytea[], $4::text[]) AS u(id, attempt, output, output_type)
      WHERE r.id = u.id AND r.attempt = u.attempt AND r.state = 'RUNNING'
      RETURNING r.id, r.traceparent`,
    [
      reports.map((r) => r.runId),
      reports.map((r) => r.attempt),
      reports.map((r) => (r.output ? Buffer.from(r.output.data) : null)),
      reports.map((r) => r.output?.contentType ?? null),
      now,
    ],
  );
  return new Map(rows.map((r) => [r.id, r.traceparent ?? undefined]));
}

interface RunningRow {
  id: string;
  attempt: number;
  max_attempts: number;
  cancel_requested: boolean;
  retry_policy: RetryPolicy;
  lease_expires_at: Date;
  deadline_at: Date;
  traceparent: string | null;
}

const RUNNING_COLUMNS =
  "r.id, r.attempt, r.max_attempts, r.cancel_requested, t.retry_policy, r.lease_expires_at, r.deadline_at, r.traceparent";

/** Locks the runs still RUNNING at the reported attempts. */
export async function lockRunningAttempts(db: Queryable, reports: { runId: string; attempt: number }[]): Promise<RunningRow[]> {
  const { rows } = await db.query<RunningRow>(
    `SELECT ${RUNNING_COLUMNS} FROM runs r JOIN tasks t ON t.id = r.task_id
      JOIN unnest($1::uuid[], $2::int[]) AS u(id, attempt) ON r.id = u.id AND r.attempt = u.attempt
     WHERE r.state = 'RUNNING' ORDER BY r.id FOR UPDATE OF r`,
    [reports.map((r) => r.runId), reports.map((r) => r.attempt)],
  );
  return rows;
}

/** Locks running attempts whose heartbeat lease or start-to-close deadline has passed. */
/** Whether any running attempt's lease has expired: what the timeout sweep asks before taking the fence. */
export async function anyExpiredAttempt(db: Queryable, now: Date): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM runs WHERE state = 'RUNNING' AND lease_expires_at < $1 LIMIT 1", [now]);
  return rows.length > 0;
}

export async function lockExpiredAttempts(db: Queryable, now: Date, limit: number): Promise<RunningRow[]> {
  const { rows } = await db.query<RunningRow>(
    `SELECT ${RUNNING_COLUMNS} FROM runs r JOIN tasks t ON t.id = r.task_id
      WHERE r.state = 'RUNNING' AND r.lease_expires_at < $1
      ORDER BY r.lease_expires_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED`,
    [now, limit],
  );
  return rows;
}

export function toFailedAttempt(row: RunningRow, error: RunError): FailedAttempt {
  return {
    runId: row.id,
    traceparent: row.traceparent ?? undefined,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    cancelRequested: row.cancel_requested,
    retry: row.retry_policy,
    error,
  };
}

/** Applies decided failures to locked running attempts: retry later, or end the run. */
export async function applyFailures(
  db: Queryable,
  failures: { attempt: FailedAttempt; decision: FailureDecision; outcome: AttemptOutcome }[],
  now: Date,
): Promise<void> {
  if (failures.length === 0) return;
  await db.query(
    `UPDATE runs r SET state = u.state, due_time = COALESCE(u.due_time, r.due_time), error = u.error,
            end_time = CASE WHEN u.state = 'RETRYING' THEN NULL ELSE $7::timestamptz END, lease_expires_at = NULL,
            attempts = ${END_ATTEMPT_SQL("u.outcome", "$7::timestamptz", "u.error")}, fence_token = ${FENCE_TOKEN_SQL}
       FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[])
         AS u(id, attempt, state, due_time, error, outcome)
      WHERE r.id = u.id AND r.attempt = u.attempt AND r.state = 'RUNNING'`,
    [
      failures.map((f) => f.attempt.runId),
      failures.map((f) => f.attempt.attempt),
      failures.map((f) => f.decision.state),
      failures.map((f) => (f.decision.state === "RETRYING" ? f.decision.dueTime : null)),
      failures.map((f) => JSON.stringify(f.attempt.error)),
      failures.map((f) => f.outcome),
      now,
    ],
  );
}

export function outcomeOf(decision: FailureDecision): ReportOutcome {
  return decision.state === "RETRYING"
    ? { ok: true, willRetry: true, nextAttemptTime: decision.dueTime }
    : { ok: true, willRetry: false };
}

export type { DecideAfterFailure, AttemptFailure };
