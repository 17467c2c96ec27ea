// Cron fire times in an IANA time zone, with explicit answers for DST. The cron expression is
// matched against local wall-clock time (by cron-parser, on a UTC timeline standing for local
// time, so it never sees a DST change itself); each local match is then placed on the real
// timeline one segment of constant UTC offset at a time:
// - a spring-forward gap: local times that do not exist fire once at the transition instant
//   (RUN_AT_NEXT_VALID_TIME) or not at all (SKIP);
// - a fall-back overlap: local times that occur twice fire at the first, the last, or both.
import { CronExpressionParser, type CronExpression } from "cron-parser";
import type { MissingTimePolicy, RepeatedTimePolicy } from "../domain/model.js";
import { largestOffsetBetween, segmentAt, smallestOffsetBetween } from "./time-zone.js";

export interface ZonedCron {
  expression: string;
  /** The expression as the parser reads it back (equivalent spellings share one); fires are matched with it when set. */
  matchExpression?: string;
  timeZone: string;
  onMissingTime: MissingTimePolicy;
  onRepeatedTime: RepeatedTimePolicy;
}

/** How a DST transition touches one fire. */
export type DstEffect = "NONE" | "MISSING_TIME" | "REPEATED_TIME_FIRST" | "REPEATED_TIME_SECOND";

export interface CronFire {
  /** The instant, ms since the epoch. */
  time: number;
  /** The local wall-clock time the expression matched, as ms on a UTC timeline. */
  localTime: number;
  effect: DstEffect;
  /** True when the DST policy drops this fire: it is listed in previews but never runs. */
  skipped: boolean;
  /** For MISSING_TIME: how many matched local times fell in the gap (all fire as this one). */
  missingTimes?: number;
}

/** Every fire (including those the DST policy skips) at instants strictly after `after`, in order. */
export function* cronFires(cron: ZonedCron, after: number): Generator<CronFire> {
  let lo = after + 1;
  for (;;) {
    const seg = segmentAt(cron.timeZone, lo);
    let localLo = lo + seg.offset;
    const entered = seg.entered;
    if (entered && entered.at === lo && entered.after > entered.before) {
      const gap = gapFire(cron, entered.at, entered.at + entered.before, entered.at + entered.after);
      if (gap) {
        yield gap;
        // A fire at the first valid local time coincides with the gap's and is the same fire.
        if (!gap.skipped) localLo = Math.max(localLo, entered.at + entered.after + 1);
      }
    }
    // Local times before secondsEnd occurred already in the previous segment; from firstsStart
    // on, they occur again in the next.
    const secondsEnd = entered && entered.after < entered.before ? entered.at + entered.before : -Infinity;
    const left = seg.left;
    const firstsStart = left && left.after < left.before ? left.at + left.after : Infinity;
    const localEnd = seg.end + seg.offset;
    for (let m = matchAtOrAfter(matching(cron), localLo); m !== undefined && m < localEnd; m = matchAtOrAfter(matching(cron), m + 1)) {
      let effect: DstEffect = "NONE";
      let skipped = false;
      if (m < secondsEnd) {
        effect = "REPEATED_TIME_SECOND";
        skipped = cron.onRepeatedTime === "RUN_ONCE_FIRST";
      } else if (m >= firstsStart) {
        effect = "REPEATED_TIME_FIRST";
        skipped = cron.onRepeatedTime === "RUN_ONCE_LAST";
      }
      yield { time: m - seg.offset, localTime: m, effect, skipped };
    }
    if (seg.end === Infinity) return;
    lo = seg.end;
  }
}

/** The first fire that runs strictly after `after`. */
export function nextCronFire(cron: ZonedCron, after: number): CronFire | undefined {
  for (const fire of cronFires(cron, after)) if (!fire.skipped) return fire;
  return undefined;
}

/** The latest fires that run in (after, until], at most `limit`, oldest first. */
export function latestCronFires(cron: ZonedCron, after: number, until: number, limit: number): number[] {
  if (limit <= 0) return [];
  // Step back in local time, then walk forward: the forward walk is the one source of truth for
  // DST policy. Skipped, merged or repeated local times can make a step back too short; then step
  // back twice as far.
  for (let steps = limit; ; steps *= 2) {
    const from = Math.max(after, earliestInstantOfMatchBefore(cron, after, until, steps));
    const times = firesBetween(cron, from, until, limit);
    if (times.length >= limit || from <= after) return times;
  }
}

/**
 * A lower bound for the instant of the local match `steps` matches before `until`, or -Infinity
 * once the matches reach back past `after` (the walk forward starts at `after` then): the cost
 * follows the fires actually missed, not `steps`.
 */
function earliestInstantOfMatchBefore(cron: ZonedCron, after: number, until: number, steps: number): number {
  const zone = cron.timeZone;
  let local: number | undefined = until + largestOffsetBetween(zone, until - 2 * DAY_MS, until) + 1;
  // A local time at or before this is an instant at or before `after`, whatever the offset then.
  const pastAfter = after + smallestOffsetBetween(zone, after - 2 * DAY_MS, until);
  for (let i = 0; i < steps && local !== undefined && local > pastAfter; i++) local = matchBefore(matching(cron), local);
  if (local === undefined || local <= pastAfter) return -Infinity;
  return local - largestOffsetBetween(zone, local - 2 * DAY_MS, until) - 1;
}

/** The last `limit` fires that run in (from, until], oldest first. */
function firesBetween(cron: ZonedCron, from: number, until: number, limit: number): number[] {
  const times: number[] = [];
  for (const fire of cronFires(cron, from)) {
    if (fire.time > until) break;
    if (fire.skipped) continue;
    times.push(fire.time);
    if (times.length > limit) times.shift();
  }
  return times;
}

/**
 * The expression as the parser reads it back, e.g. "0 9 * * MON-FRI" as "0 0 9 * * 1-5": every
 * spelling of one schedule gets one, so they share one cached parse. Throws the parser's error
 * when the expression cannot be read.
 */
export function canonicalCronExpression(expression: string): string {
  return expressionFor(expression).stringify(true);
}

const matching = (cron: ZonedCron) => cron.matchExpression ?? cron.expression;

const DAY_MS = 86_400_000;
/** Matched local times counted in one gap; a gap is at most a few hours of every-second matches. */
const MAX_GAP_MATCHES = 100_000;

function gapFire(cron: ZonedCron, at: number, gapStart: number, gapEnd: number): CronFire | undefined {
  const first = matchAtOrAfter(matching(cron), gapStart);
  if (first === undefined || first >= gapEnd) return undefined;
  let count = 0;
  for (let m: number | undefined = first; m !== undefined && m < gapEnd && count < MAX_GAP_MATCHES; m = matchAtOrAfter(matching(cron), m + 1)) count++;
  return { time: at, localTime: first, effect: "MISSING_TIME", skipped: cron.onMissingTime === "SKIP", missingTimes: count };
}

/** Parsed expressions on the local-time line; a bounded cache, least recently used out first. */
const expressions = new Map<string, CronExpression>();
const MAX_CACHED_EXPRESSIONS = 10_000;

function expressionFor(expression: string): CronExpression {
  let parsed = expressions.get(expression);
  if (parsed) {
    expressions.delete(expression);
  } else {
    // Every use resets the expression first; a fixed current date spares the parser reading the
    // clock in the system zone, two thirds of the cost of a parse.
    parsed = CronExpressionParser.parse(expression, { tz: "UTC", strict: false, currentDate: 0 });
    if (expressions.size >= MAX_CACHED_EXPRESSIONS) expressions.delete(expressions.keys().next().value!);
  }
  expressions.set(expression, parsed);
  return parsed;
}

function matchAtOrAfter(expression: string, local: number): number | undefined {
  const parsed = expressionFor(expression);
  parsed.reset(new Date(local - 1));
  return noMatchAsUndefined(() => parsed.next().getTime());
}

function matchBefore(expression: string, local: number): number | undefined {
  const parsed = expressionFor(expression);
  parsed.reset(new Date(local));
  return noMatchAsUndefined(() => parsed.prev().getTime());
}

/** cron-parser throws when no time matches within its search limit (say, "0 0 30 2 *"). */
function noMatchAsUndefined(find: () => number): number | undefined {
  try {
    return find();
  } catch {
    return undefined;
  }
}
