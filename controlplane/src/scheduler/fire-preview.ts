// Upcoming fires as people read them: the instant, the wall-clock time in the schedule's zone, and
// in words what a DST transition does to the fire under the schedule's policy.
import { jitteredDueTime } from "../domain/jitter.js";
import type { Schedule } from "../domain/model.js";
import { upcomingFires, type PreviewFire } from "./fire-times.js";
import { offsetAt } from "./time-zone.js";
import type { DstEffect } from "./zoned-cron.js";

export interface FirePreview {
  time: Date;
  /** ISO 8601 wall-clock time with its UTC offset; a missing local time has no offset. */
  localTime: string;
  timeZone: string;
  effect: DstEffect;
  skipped: boolean;
  note: string;
  /** With the task's jitter; only for a task's own preview. */
  dueTime?: Date;
}

/** The next `count` fires after `after`, described; pass the task id to include its jitter. */
export function previewFires(schedule: Schedule, after: Date, count: number, taskId?: string): FirePreview[] {
  const timeZone = schedule.kind === "cron" ? schedule.timeZone : "UTC";
  return upcomingFires(schedule, after, count).map((fire) => ({
    time: new Date(fire.time),
    localTime: fire.effect === "MISSING_TIME" ? wallClock(fire.localTime) : wallClock(fire.localTime) + offsetText(fire.localTime - fire.time),
    timeZone,
    effect: fire.effect,
    skipped: fire.skipped,
    note: schedule.kind === "cron" ? dstNote(fire, schedule) : "",
    dueTime: taskId && !fire.skipped ? jitteredDueTime(taskId, new Date(fire.time), schedule.jitterMs) : undefined,
  }));
}

function dstNote(fire: PreviewFire, schedule: Extract<Schedule, { kind: "cron" }>): string {
  const zone = schedule.timeZone;
  const day = wallClock(fire.localTime).slice(0, 10);
  const at = clockTime(fire.localTime);
  switch (fire.effect) {
    case "NONE":
      return "";
    case "MISSING_TIME": {
      const from = clockTime(fire.time + offsetAt(zone, fire.time - 1));
      const to = clockTime(fire.time + offsetAt(zone, fire.time));
      const more = (fire.missingTimes ?? 1) - 1;
      const others = more > 0 ? ` (and ${more} more local time${more > 1 ? "s" : ""} in the gap)` : "";
      const action = fire.skipped ? "on_missing_time SKIP: no fire" : `on_missing_time RUN_AT_NEXT_VALID_TIME: fires once at ${to}`;
      return `${at}${others} does not exist on ${day} in ${zone}: clocks jump from ${from} to ${to}; ${action}`;
    }
    case "REPEATED_TIME_FIRST":
    case "REPEATED_TIME_SECOND": {
      const which = fire.effect === "REPEATED_TIME_FIRST" ? "first" : "second";
      const offset = offsetText(fire.localTime - fire.time);
      const action = fire.skipped ? "no fire" : "fires";
      return `${at} occurs twice on ${day} in ${zone}; this is the ${which} (UTC${offset}); on_repeated_time ${schedule.onRepeatedTime}: ${action}`;
    }
  }
}

/** A UTC-line time in ms as an ISO wall-clock string without zone, milliseconds only when set. */
function wallClock(local: number): string {
  const iso = new Date(local).toISOString();
  return local % 1000 === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
}

function clockTime(local: number): string {
  return wallClock(local).slice(11, 16);
}

function offsetText(offsetMs: number): string {
  const sign = offsetMs < 0 ? "-" : "+";
  const minutes = Math.abs(offsetMs) / 60_000;
  return `${sign}${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}
