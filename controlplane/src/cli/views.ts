// How each API message is shown in tables and detail views (JSON always has every field).
import {
  AttemptOutcome,
  DstEffect,
  FireTimeSchema,
  LogEntrySchema,
  Priority,
  RunState,
  RunSchema,
  RunTrigger,
  TaskSchema,
  TaskState,
  type Run,
} from "@taskplane/proto/taskplane/v1/task_pb.js";
import { AuditEventSchema } from "@taskplane/proto/taskplane/v1/audit_service_pb.js";
import { WorkerSchema } from "@taskplane/proto/taskplane/v1/cluster_service_pb.js";
import { describeLabels, describePayload, describePolicies, describeSchedule, enumName, formatDuration, formatTime, NONE, truncate } from "./format.js";
import type { View } from "./output.js";

const or = (text: string | undefined) => text || NONE;
const attemptOf = (r: Run) => `${r.attempt}/${r.maxAttempts || NONE}`;

export const taskView: View<typeof TaskSchema> = {
  schema: TaskSchema,
  columns: [
    ["id", (t) => t.id],
    ["namespace", (t) => or(t.spec?.namespace)],
    ["type", (t) => or(t.spec?.type)],
    ["queue", (t) => or(t.spec?.queue)],
    ["state", (t) => enumName(TaskState, t.state)],
    ["schedule", (t) => describeSchedule(t.spec?.schedule)],
    ["next fire (UTC)", (t) => formatTime(t.nextFireTime)],
  ],
  fields: [
    ["id", (t) => t.id],
    ["namespace", (t) => or(t.spec?.namespace)],
    ["type", (t) => or(t.spec?.type)],
    ["queue", (t) => or(t.spec?.queue)],
    ["priority", (t) => enumName(Priority, t.spec?.priority || Priority.NORMAL)],
    ["state", (t) => enumName(TaskState, t.state)],
    ["schedule", (t) => describeSchedule(t.spec?.schedule)],
    ["policies", (t) => describePolicies(t.spec?.schedule)],
    ["next fire", (t) => formatTime(t.nextFireTime)],
    ["labels", (t) => describeLabels(t.spec?.labels ?? {})],
    ["payload", (t) => describePayload(t.spec?.payload)],
    ["max attempts", (t) => (t.spec?.retryPolicy?.maxAttempts ? String(t.spec.retryPolicy.maxAttempts) : NONE)],
    ["timeout", (t) => formatDuration(t.spec?.timeouts?.startToClose)],
    ["idempotency key", (t) => or(t.spec?.idempotencyKey)],
    ["created", (t) => formatTime(t.createTime)],
    ["updated", (t) => formatTime(t.updateTime)],
  ],
};

export const runView: View<typeof RunSchema> = {
  schema: RunSchema,
  columns: [
    ["id", (r) => r.id],
    ["task", (r) => r.taskId],
    ["type", (r) => r.taskType],
    ["state", (r) => enumName(RunState, r.state)],
    ["trigger", (r) => enumName(RunTrigger, r.trigger)],
    ["attempt", attemptOf],
    ["scheduled (UTC)", (r) => formatTime(r.scheduledTime)],
    ["ended (UTC)", (r) => formatTime(r.endTime)],
    // Room for most of the scheduler's reasons whole; `runs get` shows any reason in full.
    ["reason", (r) => truncate(r.reason, 64)],
  ],
  fields: [
    ["id", (r) => r.id],
    ["task", (r) => r.taskId],
    ["namespace", (r) => or(r.namespace)],
    ["type", (r) => r.taskType],
    ["queue", (r) => or(r.queue)],
    ["priority", (r) => enumName(Priority, r.priority || Priority.NORMAL)],
    ["state", (r) => enumName(RunState, r.state) + (r.cancelRequested ? " (cancel requested)" : "")],
    ["reason", (r) => or(r.reason)],
    ["trigger", (r) => enumName(RunTrigger, r.trigger)],
    ["attempt", attemptOf],
    ["scheduled", (r) => formatTime(r.scheduledTime)],
    ["due", (r) => formatTime(r.dueTime)],
    ["started", (r) => formatTime(r.startTime)],
    ["ended", (r) => formatTime(r.endTime)],
    ["next attempt", (r) => formatTime(r.nextAttemptTime)],
    ["output", (r) => describePayload(r.output)],
    ["error", (r) => (r.error ? `${r.error.type || "error"}: ${r.error.message}` : NONE)],
    [
      "attempts",
      (r) =>
        r.attempts.length
          ? r.attempts
              .map((a) => `\n  #${a.number} ${enumName(AttemptOutcome, a.outcome)} on ${or(a.workerId)}, ${formatTime(a.startTime)} .. ${formatTime(a.endTime)}${a.error ? `: ${a.error.type || "error"}: ${a.error.message}` : ""}`)
              .join("")
          : NONE,
    ],
  ],
};

const DST_WORDS: Record<DstEffect, string> = {
  [DstEffect.UNSPECIFIED]: "",
  [DstEffect.MISSING_TIME]: "missing time",
  [DstEffect.REPEATED_TIME_FIRST]: "repeated time, first",
  [DstEffect.REPEATED_TIME_SECOND]: "repeated time, second",
};

export const fireView: View<typeof FireTimeSchema> = {
  schema: FireTimeSchema,
  columns: [
    ["time (UTC)", (f) => formatTime(f.time)],
    ["local time", (f) => f.localTime],
    ["zone", (f) => f.timeZone],
    ["DST", (f) => DST_WORDS[f.dstEffect] || NONE],
    ["runs", (f) => (f.skipped ? "no (skipped)" : "yes")],
    ["note", (f) => or(f.note)],
  ],
};

/** A jittered task's fires, with when each run will be due: known for the task's next fires (GetTask). */
export const jitteredFireView: View<typeof FireTimeSchema> = {
  schema: FireTimeSchema,
  columns: [fireView.columns[0]!, ["due (UTC)", (f) => (f.dueTime ? formatTime(f.dueTime) : f.skipped ? NONE : "unknown")], ...fireView.columns.slice(1)],
};

export const logView: View<typeof LogEntrySchema> = {
  schema: LogEntrySchema,
  columns: [
    ["time (UTC)", (l) => formatTime(l.time)],
    ["attempt", (l) => String(l.attempt)],
    ["message", (l) => l.message],
  ],
};

export const workerView: View<typeof WorkerSchema> = {
  schema: WorkerSchema,
  columns: [
    ["worker", (w) => w.workerId],
    ["namespace", (w) => or(w.namespace)],
    ["queue", (w) => or(w.queue)],
    ["task types", (w) => (w.taskTypes.length ? w.taskTypes.join(",") : "all")],
    ["principal", (w) => or(w.principal)],
    ["running", (w) => String(w.runningAttempts)],
    ["connected", (w) => (w.connected ? "yes" : "no")],
    ["last seen (UTC)", (w) => formatTime(w.lastSeen)],
  ],
};

export const auditView: View<typeof AuditEventSchema> = {
  schema: AuditEventSchema,
  columns: [
    ["seq", (e) => String(e.sequence)],
    ["time (UTC)", (e) => formatTime(e.time)],
    ["principal", (e) => e.principal],
    ["namespace", (e) => or(e.namespace)],
    ["action", (e) => e.action],
    ["target", (e) => or(e.target)],
    ["result", (e) => e.result],
    ["detail", (e) => or(e.detail)],
  ],
};
