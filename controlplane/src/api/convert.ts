// Protobuf <-> domain conversion, and the defaults for what a request leaves unset.
import type { DescEnum, MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, durationMs as protoDurationMs, timestampDate, timestampFromDate, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import * as pb from "@taskplane/proto/taskplane/v1/task_pb.js";
import type { AssignmentSchema } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { DEFAULT_CALLBACK_EVENTS, DEFAULT_CATCH_UP, DEFAULT_DST_POLICY, DEFAULT_QUEUE, DEFAULT_RETRY_POLICY, DEFAULT_TIMEOUTS } from "../domain/defaults.js";
import { DEFAULT_NAMESPACE } from "../domain/model.js";
import type * as d from "../domain/model.js";
import type { FirePreview } from "../scheduler/fire-preview.js";

/** A proto enum value as the domain's name for it: PRIORITY_HIGH -> "HIGH"; UNSPECIFIED (0) -> the fallback. */
export function enumName<T extends string>(schema: DescEnum, value: number, fallback: T): T {
  if (value === 0) return fallback;
  return (schema.value[value]?.localName as T | undefined) ?? fallback;
}

export function enumValue(schema: DescEnum, name: string | undefined): number {
  return schema.values.find((v) => v.localName === name)?.number ?? 0;
}

export const durationMs = (d: Duration | undefined): number | undefined => (d ? protoDurationMs(d) : undefined);

export const dateOf = (t: Timestamp | undefined): Date | undefined => (t ? timestampDate(t) : undefined);
const pbTs = (t: Date | undefined) => (t ? timestampFromDate(t) : undefined);

const orDefault = <T>(value: T | undefined, fallback: T): T => (value === undefined || value === 0 ? fallback : value);

export function scheduleFromProto(s: pb.Schedule | undefined, now: Date): d.Schedule {
  const common = {
    startTime: dateOf(s?.startTime),
    endTime: dateOf(s?.endTime),
    overlap: enumName<d.OverlapPolicy>(pb.OverlapPolicySchema, s?.overlapPolicy ?? 0, "SKIP"),
    catchUp: {
      mode: enumName<d.CatchUpMode>(pb.CatchUpModeSchema, s?.catchUp?.mode ?? 0, DEFAULT_CATCH_UP.mode),
      windowMs: orDefault(durationMs(s?.catchUp?.window), DEFAULT_CATCH_UP.windowMs),
      maxRuns: orDefault(s?.catchUp?.maxRuns, DEFAULT_CATCH_UP.maxRuns),
    },
    jitterMs: durationMs(s?.jitter) ?? 0,
  };
  const kind = s?.kind;
  switch (kind?.case) {
    case "cron":
      return {
        kind: "cron",
        expression: kind.value.expression,
        timeZone: kind.value.timeZone || "UTC",
        onMissingTime: enumName(pb.MissingTimePolicySchema, kind.value.onMissingTime, DEFAULT_DST_POLICY.onMissingTime),
        onRepeatedTime: enumName(pb.RepeatedTimePolicySchema, kind.value.onRepeatedTime, DEFAULT_DST_POLICY.onRepeatedTime),
        ...common,
      };
    case "interval":
      return { kind: "interval", everyMs: durationMs(kind.value.every) ?? 0, offsetMs: durationMs(kind.value.offset) ?? 0, ...common };
    case "manual":
      return { kind: "manual", ...common };
    case "once": {
      const when = kind.value.when;
      const at = when.case === "at" ? timestampDate(when.value) : new Date(now.getTime() + (durationMs(when.value) ?? 0));
      return { kind: "once", at, ...common };
    }
    default:
      return { kind: "once", at: now, ...common };
  }
}

export function scheduleToProto(s: d.Schedule): MessageInitShape<typeof pb.ScheduleSchema> {
  const kind = ((): MessageInitShape<typeof pb.ScheduleSchema>["kind"] => {
    switch (s.kind) {
      case "cron":
        return {
          case: "cron" as const,
          value: {
            expression: s.expression,
            timeZone: s.timeZone,
            onMissingTime: enumValue(pb.MissingTimePolicySchema, s.onMissingTime),
            onRepeatedTime: enumValue(pb.RepeatedTimePolicySchema, s.onRepeatedTime),
          },
        };
      case "interval":
        return { case: "interval" as const, value: { every: durationFromMs(s.everyMs), offset: durationFromMs(s.offsetMs) } };
      case "manual":
        return { case: "manual" as const, value: {} };
      case "once":
        return { case: "once" as const, value: { when: { case: "at" as const, value: timestampFromDate(s.at) } } };
    }
  })();
  return {
    kind,
    startTime: pbTs(s.startTime),
    endTime: pbTs(s.endTime),
    overlapPolicy: enumValue(pb.OverlapPolicySchema, s.overlap),
    catchUp: { mode: enumValue(pb.CatchUpModeSchema, s.catchUp.mode), window: durationFromMs(s.catchUp.windowMs), maxRuns: s.catchUp.maxRuns },
    jitter: s.jitterMs > 0 ? durationFromMs(s.jitterMs) : undefined,
  };
}

export function taskSpecFromProto(spec: pb.TaskSpec, now: Date): d.TaskSpec {
  const r = spec.retryPolicy;
  const initialBackoffMs = orDefault(durationMs(r?.initialBackoff), DEFAULT_RETRY_POLICY.initialBackoffMs);
  return {
    namespace: spec.namespace || DEFAULT_NAMESPACE,
    type: spec.type,
    queue: spec.queue || DEFAULT_QUEUE,
    payload: payloadFromProto(spec.payload) ?? { data: new Uint8Array(), contentType: "" },
    priority: enumName<d.Priority>(pb.PrioritySchema, spec.priority, "NORMAL"),
    labels: { ...spec.labels },
    idempotencyKey: spec.idempotencyKey || undefined,
    retry: {
      maxAttempts: orDefault(r?.maxAttempts, DEFAULT_RETRY_POLICY.maxAttempts),
      initialBackoffMs,
      backoffCoefficient: orDefault(r?.backoffCoefficient, DEFAULT_RETRY_POLICY.backoffCoefficient),
      maxBackoffMs: orDefault(durationMs(r?.maxBackoff), initialBackoffMs * 100),
      jitter: r && r.jitter > 0 ? r.jitter : DEFAULT_RETRY_POLICY.jitter,
      nonRetryableErrorTypes: [...(r?.nonRetryableErrorTypes ?? [])],
    },
    timeouts: {
      startToCloseMs: orDefault(durationMs(spec.timeouts?.startToClose), DEFAULT_TIMEOUTS.startToCloseMs),
      heartbeatMs: orDefault(durationMs(spec.timeouts?.heartbeat), DEFAULT_TIMEOUTS.heartbeatMs),
    },
    schedule: scheduleFromProto(spec.schedule, now),
    callback: callbackFromProto(spec.callback),
  };
}

export function callbackFromProto(c: pb.Callback | undefined): d.Callback | undefined {
  if (!c) return undefined;
  const events = c.events.map((e) => enumName<d.CallbackEvent>(pb.CallbackEventSchema, e, "RUN_SUCCEEDED"));
  return { url: c.url, events: events.length ? events : DEFAULT_CALLBACK_EVENTS, secrets: [...c.secrets] };
}

export function deliveryToProto(x: d.Delivery): MessageInitShape<typeof pb.DeliverySchema> {
  return {
    id: x.id,
    taskId: x.taskId,
    runId: x.runId,
    attempt: x.attempt,
    event: enumValue(pb.CallbackEventSchema, x.event),
    url: x.url,
    state: enumValue(pb.DeliveryStateSchema, x.state),
    attempts: x.attempts.map((a) => ({
      time: pbTs(a.time),
      latency: durationFromMs(a.latencyMs),
      statusCode: a.statusCode,
      error: a.error ?? "",
      responsePrefix: a.responsePrefix ?? "",
    })),
    nextAttemptTime: pbTs(x.nextAttemptTime),
    createTime: pbTs(x.createTime),
  };
}

export function taskToProto(t: d.Task): MessageInitShape<typeof pb.TaskSchema> {
  const s = t.spec;
  return {
    id: t.id,
    state: enumValue(pb.TaskStateSchema, t.state),
    createTime: pbTs(t.createTime),
    updateTime: pbTs(t.updateTime),
    nextFireTime: pbTs(t.nextFireTime),
    spec: {
      namespace: s.namespace,
      type: s.type,
      queue: s.queue,
      payload: s.payload,
      priority: enumValue(pb.PrioritySchema, s.priority),
      labels: s.labels,
      idempotencyKey: s.idempotencyKey ?? "",
      retryPolicy: {
        maxAttempts: s.retry.maxAttempts,
        initialBackoff: durationFromMs(s.retry.initialBackoffMs),
        backoffCoefficient: s.retry.backoffCoefficient,
        maxBackoff: durationFromMs(s.retry.maxBackoffMs),
        jitter: s.retry.jitter,
        nonRetryableErrorTypes: s.retry.nonRetryableErrorTypes,
      },
      timeouts: { startToClose: durationFromMs(s.timeouts.startToCloseMs), heartbeat: durationFromMs(s.timeouts.heartbeatMs) },
      schedule: scheduleToProto(s.schedule),
      // Secrets are write-only.
      callback: s.callback && { url: s.callback.url, events: s.callback.events.map((e) => enumValue(pb.CallbackEventSchema, e)) },
    },
  };
}

export function runToProto(r: d.Run): MessageInitShape<typeof pb.RunSchema> {
  return {
    id: r.id,
    namespace: r.namespace,
    taskId: r.taskId,
    taskType: r.taskType,
    queue: r.queue,
    priority: enumValue(pb.PrioritySchema, r.priority),
    state: enumValue(pb.RunStateSchema, r.state),
    trigger: enumValue(pb.RunTriggerSchema, r.trigger),
    scheduledTime: pbTs(r.scheduledTime),
    dueTime: pbTs(r.dueTime),
    fireTime: pbTs(r.fireTime),
    startTime: pbTs(r.startTime),
    endTime: pbTs(r.endTime),
    attempt: r.attempt,
    maxAttempts: r.maxAttempts,
    output: r.output,
    error: r.error,
    nextAttemptTime: r.state === "RETRYING" ? pbTs(r.dueTime) : undefined,
    cancelRequested: r.cancelRequested,
    reason: r.reason ?? "",
    traceparent: r.traceparent ?? "",
    heartbeatDetails: r.heartbeatDetails,
    attempts: r.attempts.map((a) => ({
      number: a.number,
      workerId: a.workerId,
      outcome: enumValue(pb.AttemptOutcomeSchema, a.outcome),
      startTime: pbTs(a.startTime),
      endTime: pbTs(a.endTime),
      error: a.error,
    })),
  };
}

export function assignmentToProto(a: d.Assignment): MessageInitShape<typeof AssignmentSchema> {
  return {
    runId: a.runId,
    attempt: a.attempt,
    taskId: a.taskId,
    taskType: a.taskType,
    payload: a.payload,
    priority: enumValue(pb.PrioritySchema, a.priority),
    labels: a.labels,
    scheduledTime: pbTs(a.scheduledTime),
    maxAttempts: a.maxAttempts,
    deadline: pbTs(a.deadline),
    heartbeatTimeout: durationFromMs(a.heartbeatTimeoutMs),
    heartbeatDetails: a.heartbeatDetails,
    traceparent: a.traceparent ?? "",
    startTime: pbTs(a.startTime),
  };
}

export function payloadFromProto(p: pb.Payload | undefined): d.Payload | undefined {
  return p ? { data: p.data, contentType: p.contentType } : undefined;
}

export function runErrorFromProto(e: pb.RunError | undefined): d.RunError {
  return { type: e?.type || "Error", message: e?.message ?? "", nonRetryable: e?.nonRetryable ?? false };
}

export function logEntryToProto(l: d.LogEntry): MessageInitShape<typeof pb.LogEntrySchema> {
  return { attempt: l.attempt, time: pbTs(l.time), message: l.message, sequence: l.sequence };
}

export function fireTimeToProto(f: FirePreview): MessageInitShape<typeof pb.FireTimeSchema> {
  return {
    time: pbTs(f.time),
    localTime: f.localTime,
    timeZone: f.timeZone,
    dstEffect: enumValue(pb.DstEffectSchema, f.effect),
    skipped: f.skipped,
    note: f.note,
    dueTime: pbTs(f.dueTime),
  };
}
