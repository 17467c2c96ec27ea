// Fire-time computation for every schedule kind: pure functions of the schedule and a time.
import { CronExpressionParser } from "cron-parser";
import { InvalidArgumentError } from "../domain/errors.js";
import type { Schedule } from "../domain/model.js";

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

/** Up to `count` fire times strictly after `after`. */
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

/** The latest fire times in (after, until], at most `limit` of them, oldest first; for catching up. */
export function latestFireTimes(schedule: Schedule, after: Date, until: Date, limit: number): Date[] {
  const times: Date[] = [];
  for (let t = previousFireTime(schedule, new Date(until.getTime() + 1)); t && t > after && times.length < limit; t = previousFireTime(schedule, t)) {
    if (!schedule.startTime || t >= schedule.startTime) times.push(t);
    else break;
  }
  return times.reverse();
}

/** The last fire strictly before `before`, ignoring the end bound (callers pass times within it). */
function previousFireTime(schedule: Schedule, before: Date): Date | undefined {
  switch (schedule.kind) {
    case "interval": {
      const steps = Math.ceil((before.getTime() - schedule.offsetMs) / schedule.everyMs) - 1;
      return new Date(schedule.offsetMs + steps * schedule.everyMs);
    }
    case "cron":
      return parseCron(schedule.expression, schedule.timeZone, before).prev().toDate();
    default:
      return undefined;
  }
}

/** Throws InvalidArgumentError naming what is wrong with a schedule. */
export function checkSchedule(schedule: Schedule): void {
  if (schedule.kind === "cron") {
    checkTimeZone(schedule.timeZone);
    parseCron(schedule.expression, schedule.timeZone, new Date());
  }
  if (schedule.startTime && schedule.endTime && schedule.endTime < schedule.startTime) {
    throw new InvalidArgumentError("schedule.end_time: must not be before schedule.start_time");
  }
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
    case "cron":
      return parseCron(schedule.expression, schedule.timeZone, after).next().toDate();
  }
}

function parseCron(expression: string, timeZone: string, after: Date) {
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6 && !expression.trim().startsWith("@")) {
    throw new InvalidArgumentError(
      `schedule.cron.expression: "${expression}" has ${fields} fields; use 5 (minute hour day month weekday) or 6 (with seconds first)`,
    );
  }
  try {
    return CronExpressionParser.parse(expression, { currentDate: after, tz: timeZone, strict: false });
  } catch (e) {
    throw new InvalidArgumentError(`schedule.cron.expression: "${expression}" is not a valid cron expression (${(e as Error).message})`, {
      cause: e,
    });
  }
}

function checkTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch (e) {
    throw new InvalidArgumentError(`schedule.cron.time_zone: "${timeZone}" is not an IANA time zone`, { cause: e });
  }
}
