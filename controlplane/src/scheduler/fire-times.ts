// Fire-time computation for every schedule kind: pure functions of the schedule and a time.
// Cron schedules go through zoned-cron (local time and DST); the rest are absolute time.
import { InvalidArgumentError } from "../domain/errors.js";
import type { Schedule } from "../domain/model.js";
import { canonicalTimeZone } from "./time-zone.js";
import { canonicalCronExpression, cronFires, latestCronFires, nextCronFire, type CronFire } from "./zoned-cron.js";

/** A fire as previews show it: for schedules other than cron, local time is UTC and DST plays no part. */
export type PreviewFire = CronFire;

/** The schedule's first fire time for a task created at `now`, or undefined if it never fires. */
export function firstFireTime(schedule: Schedule, now: Date): Date | undefined {
  if (schedule.kind === "once") return schedule.at;
  return nextFireTime(schedule, new Date(now.getTime() - 1));
}

/** The first fire strictly after `after` within the schedule's bounds, or undefined. */
export function nextFireTime(schedule: Schedule, after: Date): Date | undefined {
  const from = schedule.startTime && schedule.startTime > after ? new Date(schedule.startTime.getTime() - 1) : after;
  const next = unboundedNext(schedule, from);
  if (!next || (schedule.endTime && next > schedule.endTime)) return undefined;
  return next;
}

/** Whether the schedule fires at `time` (before any DST policy skips it). */
export function isFireTime(schedule: Schedule, time: Date): boolean {
  return nextFireTime(schedule, new Date(time.getTime() - 1))?.getTime() === time.getTime();
}

/** Up to `count` fire times strictly after `after` (fires a DST policy skips are left out). */
export function upcomingFireTimes(schedule: Schedule, after: Date, count: number): Date[] {
  const times: Date[] = [];
  let cursor: Date | undefined =
    schedule.kind === "once" ? (schedule.at > after ? schedule.at : undefined) : nextFireTime(schedule, after);
  while (cursor && times.length < count) {
    times.push(cursor);
    cursor = schedule.kind === "once" ? undefined : nextFireTime(schedule, cursor);
  }
  return times;
}

/** Up to `count` fires strictly after `after`, including those a DST policy skips (marked so). */
export function upcomingFires(schedule: Schedule, after: Date, count: number): PreviewFire[] {
  if (schedule.kind === "cron") return upcomingCronFires(schedule, after, count);
  return upcomingFireTimes(schedule, after, count).map((t) => ({ time: t.getTime(), localTime: t.getTime(), effect: "NONE", skipped: false }));
}

function upcomingCronFires(schedule: Extract<Schedule, { kind: "cron" }>, after: Date, count: number): PreviewFire[] {
  const fires: PreviewFire[] = [];
  const from = schedule.startTime && schedule.startTime > after ? schedule.startTime.getTime() - 1 : after.getTime();
  for (const fire of cronFires(schedule, from)) {
    if (fires.length >= count || (schedule.endTime && fire.time > schedule.endTime.getTime())) break;
    fires.push(fire);
  }
  return fires;
}

/** Every fire time in [from, to] within the schedule's bounds, oldest first; undefined past `limit`. */
export function fireTimesBetween(schedule: Schedule, from: Date, to: Date, limit: number): Date[] | undefined {
  const times: Date[] = [];
  for (let t = nextFireTime(schedule, new Date(from.getTime() - 1)); t && t <= to; t = nextFireTime(schedule, t)) {
    if (times.length === limit) return undefined;
    times.push(t);
  }
  return times;
}

/** Most missed fires recorded one by one per task, after an outage or a pause. */
export const MAX_RECORDED_MISSED_FIRES = 1_000;

/**
 * The fires a schedule missed in (after, until], within its end bound: the latest
 * MAX_RECORDED_MISSED_FIRES, oldest first, and, when there were more, a note for the oldest
 * recorded one saying which were not recorded.
 */
export function missedFires(schedule: Schedule, after: Date, until: Date): { times: Date[]; unrecordedNote?: string } {
  const end = schedule.endTime && schedule.endTime < until ? schedule.endTime : until;
  const times = latestFireTimes(schedule, after, end, MAX_RECORDED_MISSED_FIRES).filter((t) => t > after);
  if (times.length < MAX_RECORDED_MISSED_FIRES || !(nextFireTime(schedule, after)! < times[0]!)) return { times };
  const unrecordedNote =
    `the fires after ${after.toISOString()} and before ${times[0]!.toISOString()} were missed too, ` +
    `not recorded one by one (only the latest ${MAX_RECORDED_MISSED_FIRES} are)`;
  return { times, unrecordedNote };
}

/** The latest fire times in (after, until], at most `limit` of them, oldest first; for catching up. */
export function latestFireTimes(schedule: Schedule, after: Date, until: Date, limit: number): Date[] {
  if (schedule.kind === "cron") {
    const from = schedule.startTime && schedule.startTime > after ? schedule.startTime.getTime() - 1 : after.getTime();
    return latestCronFires(schedule, from, until.getTime(), limit).map((t) => new Date(t));
  }
  const times: Date[] = [];
  for (let t = previousFireTime(schedule, new Date(until.getTime() + 1)); t && t > after && times.length < limit; t = previousFireTime(schedule, t)) {
    if (!schedule.startTime || t >= schedule.startTime) times.push(t);
    else break;
  }
  return times.reverse();
}

/** The last fire strictly before `before`, ignoring the end bound (callers pass times within it). */
function previousFireTime(schedule: Schedule, before: Date): Date | undefined {
  if (schedule.kind !== "interval") return undefined;
  const steps = Math.ceil((before.getTime() - schedule.offsetMs) / schedule.everyMs) - 1;
  return new Date(schedule.offsetMs + steps * schedule.everyMs);
}

/**
 * The schedule as it is stored (a cron schedule with its match expression); throws
 * InvalidArgumentError naming what is wrong with it.
 */
export function checkedSchedule(schedule: Schedule): Schedule {
  let checked = schedule;
  if (schedule.kind === "cron") {
    checked = { ...schedule, timeZone: checkedTimeZone(schedule.timeZone), matchExpression: checkedCronExpression(schedule.expression) };
  }
  if (!isRecurring(schedule) && schedule.jitterMs > 0) {
    throw new InvalidArgumentError("schedule.jitter: only cron and interval schedules take jitter");
  }
  if (schedule.startTime && schedule.endTime && schedule.endTime < schedule.startTime) {
    throw new InvalidArgumentError("schedule.end_time: must not be before schedule.start_time");
  }
  return checked;
}

export function isRecurring(schedule: Schedule): boolean {
  return schedule.kind === "cron" || schedule.kind === "interval";
}

function unboundedNext(schedule: Schedule, after: Date): Date | undefined {
  switch (schedule.kind) {
    case "once":
      return schedule.at > after ? schedule.at : undefined;
    case "manual":
      return undefined;
    case "interval": {
      const steps = Math.floor((after.getTime() - schedule.offsetMs) / schedule.everyMs) + 1;
      return new Date(schedule.offsetMs + steps * schedule.everyMs);
    }
    case "cron": {
      const fire = nextCronFire(schedule, after.getTime());
      return fire && new Date(fire.time);
    }
  }
}

function checkedCronExpression(expression: string): string {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6 && !expression.trim().startsWith("@")) {
    throw new InvalidArgumentError(
      `schedule.cron.expression: "${expression}" has ${fields} fields; use 5 (minute hour day month weekday) or 6 (with seconds first)`,
    );
  }
  try {
    return canonicalCronExpression(expression);
  } catch (e) {
    throw new InvalidArgumentError(`schedule.cron.expression: "${expression}" is not a valid cron expression (${(e as Error).message})`, {
      cause: e,
    });
  }
}

function checkedTimeZone(timeZone: string): string {
  const canonical = canonicalTimeZone(timeZone);
  if (!canonical) throw new InvalidArgumentError(`schedule.cron.time_zone: "${timeZone}" is not an IANA time zone`);
  return canonical;
}
