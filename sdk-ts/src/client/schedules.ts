// Builders for the schedule kinds, so callers need not spell out the protobuf oneof.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type {
  CatchUpPolicySchema,
  MissingTimePolicy,
  OverlapPolicy,
  RepeatedTimePolicy,
  ScheduleSchema,
} from "@taskplane/proto/taskplane/v1/task_pb.js";

export type ScheduleInit = MessageInitShape<typeof ScheduleSchema>;

/** Bounds and policies of a recurring schedule. */
export interface RecurringOptions {
  startTime?: Date;
  endTime?: Date;
  overlapPolicy?: OverlapPolicy;
  catchUp?: MessageInitShape<typeof CatchUpPolicySchema>;
  /** Spread each fire over [0, jitterMs) after its scheduled time, fixed per task and time. */
  jitterMs?: number;
}

/** What a cron schedule does on DST days: see MissingTimePolicy and RepeatedTimePolicy. */
export interface CronOptions extends RecurringOptions {
  onMissingTime?: MissingTimePolicy;
  onRepeatedTime?: RepeatedTimePolicy;
}

/** Milliseconds as a protobuf Duration. */
export const duration = (ms: number) => durationFromMs(ms);

function recurring(kind: ScheduleInit["kind"], options: RecurringOptions): ScheduleInit {
  return {
    kind,
    startTime: options.startTime && timestampFromDate(options.startTime),
    endTime: options.endTime && timestampFromDate(options.endTime),
    overlapPolicy: options.overlapPolicy,
    catchUp: options.catchUp,
    jitter: options.jitterMs ? duration(options.jitterMs) : undefined,
  };
}

export const schedules = {
  /** Once, at a time. */
  at: (time: Date): ScheduleInit => ({ kind: { case: "once", value: { when: { case: "at", value: timestampFromDate(time) } } } }),
  /** Once, after a delay from creation. */
  after: (delayMs: number): ScheduleInit => ({ kind: { case: "once", value: { when: { case: "delay", value: duration(delayMs) } } } }),
  /**
   * A cron expression (5 fields, or 6 with seconds first) in an IANA time zone.
   * @example schedules.cron("30 2 * * *", "Europe/Berlin", { onMissingTime: MissingTimePolicy.SKIP })
   */
  cron: (expression: string, timeZone = "UTC", options: CronOptions = {}): ScheduleInit =>
    recurring({ case: "cron", value: { expression, timeZone, onMissingTime: options.onMissingTime, onRepeatedTime: options.onRepeatedTime } }, options),
  /** Every fixed interval, in absolute time, shifted by an optional offset. */
  every: (everyMs: number, options: RecurringOptions & { offsetMs?: number } = {}): ScheduleInit =>
    recurring({ case: "interval", value: { every: duration(everyMs), offset: duration(options.offsetMs ?? 0) } }, options),
  /** Never fires by itself: runs only when triggered. */
  manual: (): ScheduleInit => ({ kind: { case: "manual", value: {} } }),
};
