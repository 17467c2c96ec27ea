// Row <-> domain mapping for the pg store.
import { DEFAULT_DST_POLICY } from "../../domain/defaults.js";
import { InvalidArgumentError } from "../../domain/errors.js";
import type { NewRun } from "../store.js";
import { PRIORITIES, type Attempt, type Priority, type Run, type Schedule, type Task } from "../../domain/model.js";

/**
 * A batch in run id order. An update from an unnest() join, planned (as these batches are) as a
 * nested loop over the primary key, locks runs in the order given: batches in one order cannot
 * deadlock with each other or with the `ORDER BY id FOR UPDATE` of failure reports. The planner
 * does not promise that plan, so a deadlock stays possible, and is retried (UNAVAILABLE).
 */
export const inRunIdOrder = <T extends { runId: string }>(items: T[]): T[] => [...items].sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));

export const priorityToDb = (p: Priority): number => PRIORITIES.indexOf(p) + 1;
export const priorityFromDb = (n: number): Priority => PRIORITIES[n - 1] ?? "NORMAL";

/** Dates inside jsonb are ISO strings; revive the schedule's, and default what older rows lack. */
export function scheduleFromJson(json: Record<string, unknown>): Schedule {
  const s = { jitterMs: 0, ...json } as Record<string, unknown>;
  for (const key of ["at", "startTime", "endTime"]) if (typeof s[key] === "string") s[key] = new Date(s[key] as string);
  return (s.kind === "cron" ? { ...DEFAULT_DST_POLICY, ...s } : s) as unknown as Schedule;
}

export interface TaskRow {
  id: string;
  namespace: string;
  type: string;
  queue: string;
  priority: number;
  payload: Buffer;
  content_type: string;
  labels: Record<string, string>;
  idempotency_key: string | null;
  retry_policy: Task["spec"]["retry"];
  timeouts: Task["spec"]["timeouts"];
  schedule: Record<string, unknown>;
  callback: Task["spec"]["callback"] | null;
  state: Task["state"];
  next_fire_time: Date | null;
  created_at: Date;
  updated_at: Date;
  data_key: Buffer | null;
}

export function taskFromRow(r: TaskRow): Task {
  return {
    id: r.id,
    state: r.state,
    createTime: r.created_at,
    updateTime: r.updated_at,
    nextFireTime: r.next_fire_time ?? undefined,
    dataKey: r.data_key ? new Uint8Array(r.data_key) : undefined,
    spec: {
      namespace: r.namespace,
      type: r.type,
      queue: r.queue,
      priority: priorityFromDb(r.priority),
      payload: { data: new Uint8Array(r.payload), contentType: r.content_type },
      labels: r.labels,
      idempotencyKey: r.idempotency_key ?? undefined,
      retry: r.retry_policy,
      timeouts: r.timeouts,
      schedule: scheduleFromJson(r.schedule),
      callback: r.callback ?? undefined,
    },
  };
}

export function taskToParams(t: Task): unknown[] {
  const s = t.spec;
  return [
    t.id,
    s.namespace,
    s.type,
    s.queue,
    priorityToDb(s.priority),
    Buffer.from(s.payload.data),
    s.payload.contentType,
    JSON.stringify(s.labels),
    s.idempotencyKey ?? null,
    JSON.stringify(s.retry),
    JSON.stringify(s.timeouts),
    JSON.stringify(s.schedule),
    s.callback ? JSON.stringify(s.callback) : null,
    t.state,
    t.nextFireTime ?? null,
    t.createTime,
    t.dataKey ? Buffer.from(t.dataKey) : null,
  ];
}

export interface RunRow {
  id: string;
  namespace: string;
  task_id: string;
  task_type: string;
  queue: string;
  priority: number;
  state: Run["state"];
  trigger: Run["trigger"];
  scheduled_time: Date;
  due_time: Date;
  fire_time: Date | null;
  start_time: Date | null;
  end_time: Date | null;
  attempt: number;
  max_attempts: number;
  cancel_requested: boolean;
  output: Buffer | null;
  output_type: string | null;
  error: Run["error"] | null;
  reason: string | null;
  heartbeat_details: Buffer | null;
  traceparent: string | null;
  attempts: (Omit<Attempt, "startTime" | "endTime"> & { startTime: string; endTime?: string })[];
}

export function runFromRow(r: RunRow): Run {
  return {
    id: r.id,
    namespace: r.namespace,
    taskId: r.task_id,
    taskType: r.task_type,
    queue: r.queue,
    priority: priorityFromDb(r.priority),
    state: r.state,
    trigger: r.trigger,
    scheduledTime: r.scheduled_time,
    dueTime: r.due_time,
    fireTime: r.fire_time ?? undefined,
    startTime: r.start_time ?? undefined,
    endTime: r.end_time ?? undefined,
    attempt: r.attempt,
    maxAttempts: r.max_attempts,
    output: r.output ? { data: new Uint8Array(r.output), contentType: r.output_type ?? "" } : undefined,
    error: r.error ?? undefined,
    cancelRequested: r.cancel_requested,
    reason: r.reason ?? undefined,
    traceparent: r.traceparent ?? undefined,
    heartbeatDetails: r.heartbeat_details ? new Uint8Array(r.heartbeat_details) : undefined,
    attempts: r.attempts.map((a) => ({
      ...a,
      startTime: new Date(a.startTime),
      endTime: a.endTime ? new Date(a.endTime) : undefined,
      error: a.error ?? undefined,
    })),
  };
}

/** A run as insertRuns writes it. */
export function runFromNew(r: NewRun, now: Date): Run {
  const state = r.state ?? "SCHEDULED";
  return {
    id: r.id,
    namespace: r.namespace,
    taskId: r.taskId,
    taskType: r.taskType,
    queue: r.queue,
    priority: r.priority,
    state,
    trigger: r.trigger,
    scheduledTime: r.scheduledTime,
    dueTime: r.dueTime ?? r.scheduledTime,
    fireTime: state === "QUEUED" ? now : undefined,
    endTime: state === "SKIPPED" ? now : undefined,
    attempt: 0,
    maxAttempts: r.maxAttempts,
    attempts: [],
    cancelRequested: false,
    reason: r.reason,
    traceparent: r.traceparent,
  };
}

/** Page tokens are opaque to clients: the last row's seq, base64url. */
export const encodePageToken = (seq: string): string => Buffer.from(seq).toString("base64url");

export function decodePageToken(token: string): string | undefined {
  if (!token) return undefined;
  const seq = Buffer.from(token, "base64url").toString();
  if (!/^\d{1,19}$/.test(seq)) throw new InvalidArgumentError("page_token: not a token from a previous page; omit it to start over");
  return seq;
}
