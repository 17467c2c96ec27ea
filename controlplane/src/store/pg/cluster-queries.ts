// SQL for the cluster's overview: workers as replicas saw them, run counts, the last hour's
// throughput and lateness, queue depths. Reads scan recent runs; they serve people, not the hot path.
import type { RunState } from "../../domain/model.js";
import type { MinuteStats, Overview, WorkerSighting, WorkerStatus } from "../store.js";
import type { Queryable } from "./db.js";
import { selectFenceHolder } from "./fence-queries.js";
import { priorityFromDb } from "./rows.js";

const CONNECTED_WITHIN = "interval '1 minute'";
const MINUTE_MS = 60_000;

/** `namespace` restricted to $n when a list is given (NULL: every namespace). */
const inNamespaces = (param: string, column = "namespace") => `(${param}::text[] IS NULL OR ${column} = ANY(${param}::text[]))`;

export async function upsertWorkerSighting(db: Queryable, s: WorkerSighting): Promise<void> {
  await db.query(
    `INSERT INTO workers (namespace, queue, worker_id, task_types, principal, last_seen) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (namespace, queue, worker_id) DO UPDATE
       SET task_types = EXCLUDED.task_types, principal = EXCLUDED.principal,
           last_seen = GREATEST(workers.last_seen, EXCLUDED.last_seen)`,
    [s.namespace, s.queue, s.workerId, s.taskTypes, s.principal, s.lastSeen],
  );
}

export async function deleteWorkersSeenBefore(db: Queryable, before: Date): Promise<void> {
  await db.query("DELETE FROM workers WHERE last_seen < $1", [before]);
}

/**
 * Workers with their running attempts. A busy worker may not poll for a long time, so its last
 * heartbeat (its lease's start) counts as seen too, and an unexpired lease as connected.
 */
export async function selectWorkers(db: Queryable, filter: { namespaces?: string[]; queue?: string; since: Date }, now: Date): Promise<WorkerStatus[]> {
  const { rows } = await db.query<{
    namespace: string;
    queue: string;
    worker_id: string;
    task_types: string[];
    principal: string;
    last_seen: Date;
    running: number;
    connected: boolean;
  }>(
    `WITH running AS (
       SELECT r.namespace, r.queue, r.worker_id, count(*)::int AS running,
              max(CASE WHEN (t.timeouts->>'heartbeatMs')::bigint > 0
                       THEN r.lease_expires_at - (t.timeouts->>'heartbeatMs')::bigint * interval '1 millisecond'
                       ELSE r.start_time END) AS last_heartbeat,
              bool_or(r.lease_expires_at > $4) AS holds_lease
         FROM runs r JOIN tasks t ON t.id = r.task_id
        WHERE r.state = 'RUNNING' AND ${inNamespaces("$1", "r.namespace")}
        GROUP BY 1, 2, 3)
     SELECT w.namespace, w.queue, w.worker_id, w.task_types, w.principal,
            GREATEST(w.last_seen, LEAST(rn.last_heartbeat, $4)) AS last_seen, COALESCE(rn.running, 0) AS running,
            (w.last_seen > $4::timestamptz - ${CONNECTED_WITHIN} OR COALESCE(rn.holds_lease, false)) AS connected
       FROM workers w LEFT JOIN running rn USING (namespace, queue, worker_id)
      WHERE (w.last_seen >= $3 OR rn.running > 0) AND ${inNamespaces("$1", "w.namespace")} AND ($2::text IS NULL OR w.queue = $2)
      ORDER BY 6 DESC, w.worker_id
      LIMIT 1000`,
    [filter.namespaces ?? null, filter.queue ?? null, filter.since, now],
  );
  return rows.map((r) => ({
    namespace: r.namespace,
    queue: r.queue,
    workerId: r.worker_id,
    taskTypes: r.task_types,
    principal: r.principal,
    lastSeen: r.last_seen,
    runningAttempts: r.running,
    connected: r.connected,
  }));
}

export async function selectOverview(db: Queryable, namespaces: string[] | undefined, now: Date): Promise<Overview> {
  const from = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS - 59 * MINUTE_MS);
  const params = [namespaces ?? null, from];
  const [byState, ended, started, depths, leader] = await Promise.all([
    db.query<{ state: RunState; count: string }>(`SELECT state, count(*) AS count FROM runs WHERE ${inNamespaces("$1")} GROUP BY state ORDER BY state`, [namespaces ?? null]),
    db.query<{ minute: Date; succeeded: string; failed: string }>(
      `SELECT date_trunc('minute', end_time) AS minute,
              count(*) FILTER (WHERE state = 'SUCCEEDED') AS succeeded,
              count(*) FILTER (WHERE state IN ('FAILED', 'TIMED_OUT')) AS failed
         FROM runs WHERE end_time >= $2 AND ${inNamespaces("$1")} GROUP BY 1`,
      params,
    ),
    // A run's lateness is its first attempt's: later attempts start late on purpose (backoff).
    db.query<{ minute: Date; started: string; p50: number; p99: number }>(
      `SELECT date_trunc('minute', first_start) AS minute, count(*) AS started,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY lateness_ms) AS p50,
              percentile_disc(0.99) WITHIN GROUP (ORDER BY lateness_ms) AS p99
         FROM (SELECT (attempts->0->>'startTime')::timestamptz AS first_start,
                      GREATEST(0, extract(epoch FROM (attempts->0->>'startTime')::timestamptz - due_time) * 1000)::bigint AS lateness_ms
                 FROM runs WHERE start_time >= $2 AND ${inNamespaces("$1")}) s
        WHERE first_start >= $2 GROUP BY 1`,
      params,
    ),
    db.query<{ namespace: string; queue: string; priority: number; queued: string; running: string }>(
      `SELECT namespace, queue, priority, count(*) FILTER (WHERE state = 'QUEUED') AS queued, count(*) FILTER (WHERE state = 'RUNNING') AS running
         FROM runs WHERE state IN ('QUEUED', 'RUNNING') AND ${inNamespaces("$1")}
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [namespaces ?? null],
    ),
    selectFenceHolder(db),
  ]);
  return {
    runsByState: byState.rows.map((r) => ({ state: r.state, count: Number(r.count) })),
    lastHour: minuteByMinute(from, ended.rows, started.rows),
    queueDepths: depths.rows.map((r) => ({ namespace: r.namespace, queue: r.queue, priority: priorityFromDb(r.priority), queued: Number(r.queued), running: Number(r.running) })),
    leader: { id: leader.holder, token: leader.token, since: leader.since },
  };
}

/** Sixty minutes from `from`, with what ended and started in each (zeros where nothing did). */
function minuteByMinute(
  from: Date,
  ended: { minute: Date; succeeded: string; failed: string }[],
  started: { minute: Date; started: string; p50: number; p99: number }[],
): MinuteStats[] {
  const endedAt = new Map(ended.map((r) => [r.minute.getTime(), r]));
  const startedAt = new Map(started.map((r) => [r.minute.getTime(), r]));
  return Array.from({ length: 60 }, (_, i) => {
    const minute = new Date(from.getTime() + i * MINUTE_MS);
    const e = endedAt.get(minute.getTime());
    const s = startedAt.get(minute.getTime());
    return {
      minute,
      succeeded: Number(e?.succeeded ?? 0),
      failed: Number(e?.failed ?? 0),
      started: Number(s?.started ?? 0),
      latenessP50Ms: Number(s?.p50 ?? 0),
      latenessP99Ms: Number(s?.p99 ?? 0),
    };
  });
}
