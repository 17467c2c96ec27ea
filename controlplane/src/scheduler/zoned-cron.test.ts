import { describe, expect, it } from "vitest";
import type { MissingTimePolicy, RepeatedTimePolicy } from "../domain/model.js";
import { cronFires, latestCronFires, nextCronFire, type CronFire, type ZonedCron } from "./zoned-cron.js";

// Every expected instant here was worked out by hand from wall-clock time and the zone's offsets
// (see the comment above each table), not copied from the implementation's output.
//
// Transitions used (all verified against the runtime's Intl data):
//   Europe/Berlin        2026-03-29T01:00Z  02:00 (+01) -> 03:00 (+02): local 02:00-02:59 missing
//                        2026-10-25T01:00Z  03:00 (+02) -> 02:00 (+01): local 02:00-02:59 twice
//   America/New_York     2026-03-08T07:00Z  02:00 (-05) -> 03:00 (-04): local 02:00-02:59 missing
//                        2026-11-01T06:00Z  02:00 (-04) -> 01:00 (-05): local 01:00-01:59 twice
//   Australia/Lord_Howe  2026-10-03T15:30Z  10-04 02:00 (+10:30) -> 02:30 (+11): local 02:00-02:29 missing
//                        2026-04-04T15:00Z  04-05 02:00 (+11) -> 01:30 (+10:30): local 01:30-01:59 twice
//   America/Sao_Paulo    2018-11-04T03:00Z  11-04 00:00 (-03) -> 01:00 (-02): local 00:00-00:59 missing
//                        2018-02-18T02:00Z  02-18 00:00 (-02) -> 02-17 23:00 (-03): 02-17 23:00-23:59 twice
//                        none from 2019-02-17 on: -03 all through 2020
//   Asia/Kolkata         none: +05:30

const MISSING_POLICIES: MissingTimePolicy[] = ["RUN_AT_NEXT_VALID_TIME", "SKIP"];
const REPEATED_POLICIES: RepeatedTimePolicy[] = ["RUN_ONCE_FIRST", "RUN_ONCE_LAST", "RUN_BOTH"];
const ALL_POLICIES = MISSING_POLICIES.flatMap((onMissingTime) => REPEATED_POLICIES.map((onRepeatedTime) => ({ onMissingTime, onRepeatedTime })));

const HOURLY = "0 * * * *";
const DAILY_0230 = "30 2 * * *";
const EVERY_15_MIN = "*/15 * * * *";

const at = (iso: string) => Date.parse(iso);

/** An instant as the tables write it: "2026-03-29T01:00:00Z" (milliseconds only when not zero). */
const utc = (t: number) => new Date(t).toISOString().replace(".000Z", "Z");
/** A wall-clock time (ms on a UTC line) as the tables write it: "2026-03-29 02:30" (seconds only when not zero). */
const wall = (local: number) => new Date(local).toISOString().slice(0, 19).replace("T", " ").replace(/:00$/, "");

/** A fire as the tables write it. */
interface Shown {
  utc: string;
  local: string;
  /** The effect, with the number of missing local times for MISSING_TIME: "MISSING_TIME x4". */
  effect: string;
  skipped: boolean;
}

function show(fire: CronFire): Shown {
  const effect = fire.effect === "MISSING_TIME" ? `MISSING_TIME x${fire.missingTimes}` : fire.effect;
  return { utc: utc(fire.time), local: wall(fire.localTime), effect, skipped: fire.skipped };
}

const cronOf = (expression: string, timeZone: string, policy: Pick<ZonedCron, "onMissingTime" | "onRepeatedTime">): ZonedCron => ({
  expression,
  timeZone,
  ...policy,
});

/** Every fire listed (skipped ones too) with from <= time <= to. */
function firesBetween(cron: ZonedCron, from: number, to: number): CronFire[] {
  const fires: CronFire[] = [];
  for (const fire of cronFires(cron, from - 1)) {
    if (fire.time > to) break;
    fires.push(fire);
  }
  return fires;
}

// ---------------------------------------------------------------------------------------------
// Independent wall-clock reading, for the properties: straight from Intl, not from time-zone.ts.

const intlFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time at `t` in `zone`, as ms on a UTC line. */
function wallClockAt(zone: string, t: number): number {
  let format = intlFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    intlFormats.set(zone, format);
  }
  const parts = format.formatToParts(new Date(t));
  const n = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"), t - Math.floor(t / 1000) * 1000);
}

// ---------------------------------------------------------------------------------------------
// The DST matrix.
//
// Each table lists the fires in a window around one transition. A row is
//   [UTC instant, local wall-clock time matched, effect, ...what happens under each policy]
// where "run" means listed and not skipped, "skip" listed with skipped=true, and "-" not listed
// (at a spring-forward gap, RUN_AT_NEXT_VALID_TIME merges the first valid local time into the
// gap's fire). Spring tables have one column per on_missing_time policy, fall tables one per
// on_repeated_time policy; every table is checked under all six policy combinations, the other
// policy must not matter.

type Outcome = "run" | "skip" | "-";
/** [UTC, local, effect, under RUN_AT_NEXT_VALID_TIME, under SKIP] */
type SpringRow = [string, string, string, Outcome, Outcome];
/** [UTC, local, effect, under RUN_ONCE_FIRST, under RUN_ONCE_LAST, under RUN_BOTH] */
type FallRow = [string, string, string, Outcome, Outcome, Outcome];

interface MatrixCase<Row> {
  zone: string;
  expression: string;
  /** What the window is around. */
  around: string;
  /** Fires with from <= time <= to are compared. */
  from: string;
  to: string;
  rows: Row[];
}

const springCases: MatrixCase<SpringRow>[] = [
  // ---- Europe/Berlin, 2026-03-29: 02:00-02:59 do not exist; 03:00 (+02) is 01:00Z.
  {
    zone: "Europe/Berlin",
    expression: HOURLY,
    around: "spring forward 2026-03-29",
    from: "2026-03-28T23:00Z",
    to: "2026-03-29T02:00Z",
    rows: [
      ["2026-03-28T23:00Z", "2026-03-29 00:00", "NONE", "run", "run"],
      ["2026-03-29T00:00Z", "2026-03-29 01:00", "NONE", "run", "run"],
      ["2026-03-29T01:00Z", "2026-03-29 02:00", "MISSING_TIME x1", "run", "skip"],
      ["2026-03-29T01:00Z", "2026-03-29 03:00", "NONE", "-", "run"],
      ["2026-03-29T02:00Z", "2026-03-29 04:00", "NONE", "run", "run"],
    ],
  },
  {
    zone: "Europe/Berlin",
    expression: DAILY_0230,
    around: "spring forward 2026-03-29",
    from: "2026-03-28T00:00Z",
    to: "2026-03-30T23:59Z",
    rows: [
      ["2026-03-28T01:30Z", "2026-03-28 02:30", "NONE", "run", "run"], // +01
      ["2026-03-29T01:00Z", "2026-03-29 02:30", "MISSING_TIME x1", "run", "skip"],
      ["2026-03-30T00:30Z", "2026-03-30 02:30", "NONE", "run", "run"], // +02
    ],
  },
  {
    zone: "Europe/Berlin",
    expression: EVERY_15_MIN,
    around: "spring forward 2026-03-29",
    from: "2026-03-29T00:30Z",
    to: "2026-03-29T01:30Z",
    rows: [
      ["2026-03-29T00:30Z", "2026-03-29 01:30", "NONE", "run", "run"],
      ["2026-03-29T00:45Z", "2026-03-29 01:45", "NONE", "run", "run"],
      // 02:00, 02:15, 02:30 and 02:45 are missing: one fire for all four.
      ["2026-03-29T01:00Z", "2026-03-29 02:00", "MISSING_TIME x4", "run", "skip"],
      ["2026-03-29T01:00Z", "2026-03-29 03:00", "NONE", "-", "run"],
      ["2026-03-29T01:15Z", "2026-03-29 03:15", "NONE", "run", "run"],
      ["2026-03-29T01:30Z", "2026-03-29 03:30", "NONE", "run", "run"],
    ],
  },

  // ---- America/New_York, 2026-03-08: 02:00-02:59 do not exist; 03:00 (-04) is 07:00Z.
  {
    zone: "America/New_York",
    expression: HOURLY,
    around: "spring forward 2026-03-08",
    from: "2026-03-08T06:00Z",
    to: "2026-03-08T08:00Z",
    rows: [
      ["2026-03-08T06:00Z", "2026-03-08 01:00", "NONE", "run", "run"],
      ["2026-03-08T07:00Z", "2026-03-08 02:00", "MISSING_TIME x1", "run", "skip"],
      ["2026-03-08T07:00Z", "2026-03-08 03:00", "NONE", "-", "run"],
      ["2026-03-08T08:00Z", "2026-03-08 04:00", "NONE", "run", "run"],
    ],
  },
  {
    zone: "America/New_York",
    expression: DAILY_0230,
    around: "spring forward 2026-03-08",
    from: "2026-03-07T00:00Z",
    to: "2026-03-09T23:59Z",
    rows: [
      ["2026-03-07T07:30Z", "2026-03-07 02:30", "NONE", "run", "run"], // -05
      ["2026-03-08T07:00Z", "2026-03-08 02:30", "MISSING_TIME x1", "run", "skip"],
      ["2026-03-09T06:30Z", "2026-03-09 02:30", "NONE", "run", "run"], // -04
    ],
  },
  {
    zone: "America/New_York",
    expression: EVERY_15_MIN,
    around: "spring forward 2026-03-08",
    from: "2026-03-08T06:30Z",
    to: "2026-03-08T07:30Z",
    rows: [
      ["2026-03-08T06:30Z", "2026-03-08 01:30", "NONE", "run", "run"],
      ["2026-03-08T06:45Z", "2026-03-08 01:45", "NONE", "run", "run"],
      ["2026-03-08T07:00Z", "2026-03-08 02:00", "MISSING_TIME x4", "run", "skip"],
      ["2026-03-08T07:00Z", "2026-03-08 03:00", "NONE", "-", "run"],
      ["2026-03-08T07:15Z", "2026-03-08 03:15", "NONE", "run", "run"],
      ["2026-03-08T07:30Z", "2026-03-08 03:30", "NONE", "run", "run"],
    ],
  },

  // ---- Australia/Lord_Howe, local 2026-10-04: 02:00-02:29 do not exist; 02:30 (+11) is 10-03T15:30Z.
  {
    zone: "Australia/Lord_Howe",
    expression: HOURLY,
    around: "spring forward 2026-10-04 (local)",
    from: "2026-10-03T13:30Z",
    to: "2026-10-03T17:00Z",
    rows: [
      ["2026-10-03T13:30Z", "2026-10-04 00:00", "NONE", "run", "run"], // +10:30
      ["2026-10-03T14:30Z", "2026-10-04 01:00", "NONE", "run", "run"],
      // 02:00 is missing; the first valid local time, 02:30, is no hourly match, so nothing merges.
      ["2026-10-03T15:30Z", "2026-10-04 02:00", "MISSING_TIME x1", "run", "skip"],
      ["2026-10-03T16:00Z", "2026-10-04 03:00", "NONE", "run", "run"], // +11
      ["2026-10-03T17:00Z", "2026-10-04 04:00", "NONE", "run", "run"],
    ],
  },
  {
    // 02:30 exists on the transition day: it is the first valid local time. Unaffected.
    zone: "Australia/Lord_Howe",
    expression: DAILY_0230,
    around: "spring forward 2026-10-04 (local)",
    from: "2026-10-02T00:00Z",
    to: "2026-10-04T23:59Z",
    rows: [
      ["2026-10-02T16:00Z", "2026-10-03 02:30", "NONE", "run", "run"], // +10:30
      ["2026-10-03T15:30Z", "2026-10-04 02:30", "NONE", "run", "run"], // +11, the transition instant
      ["2026-10-04T15:30Z", "2026-10-05 02:30", "NONE", "run", "run"],
    ],
  },
  {
    zone: "Australia/Lord_Howe",
    expression: EVERY_15_MIN,
    around: "spring forward 2026-10-04 (local)",
    from: "2026-10-03T15:00Z",
    to: "2026-10-03T16:00Z",
    rows: [
      ["2026-10-03T15:00Z", "2026-10-04 01:30", "NONE", "run", "run"],
      ["2026-10-03T15:15Z", "2026-10-04 01:45", "NONE", "run", "run"],
      // 02:00 and 02:15 are missing.
      ["2026-10-03T15:30Z", "2026-10-04 02:00", "MISSING_TIME x2", "run", "skip"],
      ["2026-10-03T15:30Z", "2026-10-04 02:30", "NONE", "-", "run"],
      ["2026-10-03T15:45Z", "2026-10-04 02:45", "NONE", "run", "run"],
      ["2026-10-03T16:00Z", "2026-10-04 03:00", "NONE", "run", "run"],
    ],
  },
  {
    zone: "Australia/Lord_Howe",
    expression: "30 * * * *",
    around: "spring forward 2026-10-04 (local)",
    from: "2026-10-03T14:00Z",
    to: "2026-10-03T16:30Z",
    rows: [
      ["2026-10-03T14:00Z", "2026-10-04 00:30", "NONE", "run", "run"],
      ["2026-10-03T15:00Z", "2026-10-04 01:30", "NONE", "run", "run"],
      ["2026-10-03T15:30Z", "2026-10-04 02:30", "NONE", "run", "run"],
      ["2026-10-03T16:30Z", "2026-10-04 03:30", "NONE", "run", "run"],
    ],
  },

  // ---- Asia/Kolkata has no DST: Berlin's spring date is an ordinary day at +05:30.
  {
    zone: "Asia/Kolkata",
    expression: HOURLY,
    around: "2026-03-29 (no transition)",
    from: "2026-03-28T19:30Z",
    to: "2026-03-28T22:30Z",
    rows: [
      ["2026-03-28T19:30Z", "2026-03-29 01:00", "NONE", "run", "run"],
      ["2026-03-28T20:30Z", "2026-03-29 02:00", "NONE", "run", "run"],
      ["2026-03-28T21:30Z", "2026-03-29 03:00", "NONE", "run", "run"],
      ["2026-03-28T22:30Z", "2026-03-29 04:00", "NONE", "run", "run"],
    ],
  },
  {
    zone: "Asia/Kolkata",
    expression: DAILY_0230,
    around: "2026-03-29 (no transition)",
    from: "2026-03-28T00:00Z",
    to: "2026-03-30T23:59Z",
    rows: [
      ["2026-03-28T21:00Z", "2026-03-29 02:30", "NONE", "run", "run"],
      ["2026-03-29T21:00Z", "2026-03-30 02:30", "NONE", "run", "run"],
      ["2026-03-30T21:00Z", "2026-03-31 02:30", "NONE", "run", "run"],
    ],
  },
  {
    zone: "Asia/Kolkata",
    expression: EVERY_15_MIN,
    around: "2026-03-29 (no transition)",
    from: "2026-03-28T20:15Z",
    to: "2026-03-28T21:15Z",
    rows: [
      ["2026-03-28T20:15Z", "2026-03-29 01:45", "NONE", "run", "run"],
      ["2026-03-28T20:30Z", "2026-03-29 02:00", "NONE", "run", "run"],
      ["2026-03-28T20:45Z", "2026-03-29 02:15", "NONE", "run", "run"],
      ["2026-03-28T21:00Z", "2026-03-29 02:30", "NONE", "run", "run"],
      ["2026-03-28T21:15Z", "2026-03-29 02:45", "NONE", "run", "run"],
    ],
  },

  // ---- America/Sao_Paulo, 2018-11-04: midnight 00:00-00:59 does not exist; 01:00 (-02) is 03:00Z.
  {
    zone: "America/Sao_Paulo",
    expression: HOURLY,
    around: "spring forward 2018-11-04",
    from: "2018-11-04T01:00Z",
    to: "2018-11-04T04:00Z",
    rows: [
      ["2018-11-04T01:00Z", "2018-11-03 22:00", "NONE", "run", "run"], // -03
      ["2018-11-04T02:00Z", "2018-11-03 23:00", "NONE", "run", "run"],
      ["2018-11-04T03:00Z", "2018-11-04 00:00", "MISSING_TIME x1", "run", "skip"],
      ["2018-11-04T03:00Z", "2018-11-04 01:00", "NONE", "-", "run"],
      ["2018-11-04T04:00Z", "2018-11-04 02:00", "NONE", "run", "run"], // -02
    ],
  },
  {
    zone: "America/Sao_Paulo",
    expression: DAILY_0230,
    around: "spring forward 2018-11-04",
    from: "2018-11-03T00:00Z",
    to: "2018-11-05T23:59Z",
    rows: [
      ["2018-11-03T05:30Z", "2018-11-03 02:30", "NONE", "run", "run"], // -03
      ["2018-11-04T04:30Z", "2018-11-04 02:30", "NONE", "run", "run"], // -02
      ["2018-11-05T04:30Z", "2018-11-05 02:30", "NONE", "run", "run"],
    ],
  },
  {
    zone: "America/Sao_Paulo",
    expression: EVERY_15_MIN,
    around: "spring forward 2018-11-04",
    from: "2018-11-04T02:30Z",
    to: "2018-11-04T03:30Z",
    rows: [
      ["2018-11-04T02:30Z", "2018-11-03 23:30", "NONE", "run", "run"],
      ["2018-11-04T02:45Z", "2018-11-03 23:45", "NONE", "run", "run"],
      ["2018-11-04T03:00Z", "2018-11-04 00:00", "MISSING_TIME x4", "run", "skip"],
      ["2018-11-04T03:00Z", "2018-11-04 01:00", "NONE", "-", "run"],
      ["2018-11-04T03:15Z", "2018-11-04 01:15", "NONE", "run", "run"],
      ["2018-11-04T03:30Z", "2018-11-04 01:30", "NONE", "run", "run"],
    ],
  },

  // ---- America/Sao_Paulo, 2020-11-01 (the old rules' first Sunday of November): no DST any more, -03.
  {
    zone: "America/Sao_Paulo",
    expression: HOURLY,
    around: "2020-11-01 (no transition since 2019)",
    from: "2020-11-01T01:00Z",
    to: "2020-11-01T04:00Z",
    rows: [
      ["2020-11-01T01:00Z", "2020-10-31 22:00", "NONE", "run", "run"],
      ["2020-11-01T02:00Z", "2020-10-31 23:00", "NONE", "run", "run"],
      ["2020-11-01T03:00Z", "2020-11-01 00:00", "NONE", "run", "run"],
      ["2020-11-01T04:00Z", "2020-11-01 01:00", "NONE", "run", "run"],
    ],
  },
  {
    zone: "America/Sao_Paulo",
    expression: DAILY_0230,
    around: "2020-11-01 (no transition since 2019)",
    from: "2020-10-31T00:00Z",
    to: "2020-11-02T23:59Z",
    rows: [
      ["2020-10-31T05:30Z", "2020-10-31 02:30", "NONE", "run", "run"],
      ["2020-11-01T05:30Z", "2020-11-01 02:30", "NONE", "run", "run"],
      ["2020-11-02T05:30Z", "2020-11-02 02:30", "NONE", "run", "run"],
    ],
  },
  {
    zone: "America/Sao_Paulo",
    expression: EVERY_15_MIN,
    around: "2020-11-01 (no transition since 2019)",
    from: "2020-11-01T02:30Z",
    to: "2020-11-01T03:30Z",
    rows: [
      ["2020-11-01T02:30Z", "2020-10-31 23:30", "NONE", "run", "run"],
      ["2020-11-01T02:45Z", "2020-10-31 23:45", "NONE", "run", "run"],
      ["2020-11-01T03:00Z", "2020-11-01 00:00", "NONE", "run", "run"],
      ["2020-11-01T03:15Z", "2020-11-01 00:15", "NONE", "run", "run"],
      ["2020-11-01T03:30Z", "2020-11-01 00:30", "NONE", "run", "run"],
    ],
  },
];

const fallCases: MatrixCase<FallRow>[] = [
  // ---- Europe/Berlin, 2026-10-25: 02:00-02:59 happen at +02 (00:xxZ), then again at +01 (01:xxZ).
  {
    zone: "Europe/Berlin",
    expression: HOURLY,
    around: "fall back 2026-10-25",
    from: "2026-10-24T23:00Z",
    to: "2026-10-25T02:00Z",
    rows: [
      ["2026-10-24T23:00Z", "2026-10-25 01:00", "NONE", "run", "run", "run"],
      ["2026-10-25T00:00Z", "2026-10-25 02:00", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-10-25T01:00Z", "2026-10-25 02:00", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-10-25T02:00Z", "2026-10-25 03:00", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "Europe/Berlin",
    expression: DAILY_0230,
    around: "fall back 2026-10-25",
    from: "2026-10-24T00:00Z",
    to: "2026-10-26T23:59Z",
    rows: [
      ["2026-10-24T00:30Z", "2026-10-24 02:30", "NONE", "run", "run", "run"], // +02
      ["2026-10-25T00:30Z", "2026-10-25 02:30", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-10-25T01:30Z", "2026-10-25 02:30", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-10-26T01:30Z", "2026-10-26 02:30", "NONE", "run", "run", "run"], // +01
    ],
  },
  {
    zone: "Europe/Berlin",
    expression: EVERY_15_MIN,
    around: "fall back 2026-10-25",
    from: "2026-10-24T23:45Z",
    to: "2026-10-25T02:00Z",
    rows: [
      ["2026-10-24T23:45Z", "2026-10-25 01:45", "NONE", "run", "run", "run"],
      ["2026-10-25T00:00Z", "2026-10-25 02:00", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-10-25T00:15Z", "2026-10-25 02:15", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-10-25T00:30Z", "2026-10-25 02:30", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-10-25T00:45Z", "2026-10-25 02:45", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-10-25T01:00Z", "2026-10-25 02:00", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-10-25T01:15Z", "2026-10-25 02:15", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-10-25T01:30Z", "2026-10-25 02:30", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-10-25T01:45Z", "2026-10-25 02:45", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-10-25T02:00Z", "2026-10-25 03:00", "NONE", "run", "run", "run"],
    ],
  },

  // ---- America/New_York, 2026-11-01: 01:00-01:59 happen at -04 (05:xxZ), then again at -05 (06:xxZ).
  {
    zone: "America/New_York",
    expression: HOURLY,
    around: "fall back 2026-11-01",
    from: "2026-11-01T04:00Z",
    to: "2026-11-01T07:00Z",
    rows: [
      ["2026-11-01T04:00Z", "2026-11-01 00:00", "NONE", "run", "run", "run"],
      ["2026-11-01T05:00Z", "2026-11-01 01:00", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-11-01T06:00Z", "2026-11-01 01:00", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-11-01T07:00Z", "2026-11-01 02:00", "NONE", "run", "run", "run"],
    ],
  },
  {
    // 02:30 happens once in New York's fall back (the repeated hour is 01:00-01:59). Unaffected.
    zone: "America/New_York",
    expression: DAILY_0230,
    around: "fall back 2026-11-01",
    from: "2026-10-31T00:00Z",
    to: "2026-11-02T23:59Z",
    rows: [
      ["2026-10-31T06:30Z", "2026-10-31 02:30", "NONE", "run", "run", "run"], // -04
      ["2026-11-01T07:30Z", "2026-11-01 02:30", "NONE", "run", "run", "run"], // -05
      ["2026-11-02T07:30Z", "2026-11-02 02:30", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "America/New_York",
    expression: EVERY_15_MIN,
    around: "fall back 2026-11-01",
    from: "2026-11-01T04:45Z",
    to: "2026-11-01T07:00Z",
    rows: [
      ["2026-11-01T04:45Z", "2026-11-01 00:45", "NONE", "run", "run", "run"],
      ["2026-11-01T05:00Z", "2026-11-01 01:00", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-11-01T05:15Z", "2026-11-01 01:15", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-11-01T05:30Z", "2026-11-01 01:30", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-11-01T05:45Z", "2026-11-01 01:45", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-11-01T06:00Z", "2026-11-01 01:00", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-11-01T06:15Z", "2026-11-01 01:15", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-11-01T06:30Z", "2026-11-01 01:30", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-11-01T06:45Z", "2026-11-01 01:45", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-11-01T07:00Z", "2026-11-01 02:00", "NONE", "run", "run", "run"],
    ],
  },

  // ---- Australia/Lord_Howe, local 2026-04-05: 01:30-01:59 happen at +11 (14:30-14:59Z), then at +10:30 (15:00-15:29Z).
  {
    // No whole hour is repeated. Unaffected.
    zone: "Australia/Lord_Howe",
    expression: HOURLY,
    around: "fall back 2026-04-05 (local)",
    from: "2026-04-04T13:00Z",
    to: "2026-04-04T16:30Z",
    rows: [
      ["2026-04-04T13:00Z", "2026-04-05 00:00", "NONE", "run", "run", "run"], // +11
      ["2026-04-04T14:00Z", "2026-04-05 01:00", "NONE", "run", "run", "run"],
      ["2026-04-04T15:30Z", "2026-04-05 02:00", "NONE", "run", "run", "run"], // +10:30
      ["2026-04-04T16:30Z", "2026-04-05 03:00", "NONE", "run", "run", "run"],
    ],
  },
  {
    // 02:30 happens once. Unaffected.
    zone: "Australia/Lord_Howe",
    expression: DAILY_0230,
    around: "fall back 2026-04-05 (local)",
    from: "2026-04-03T00:00Z",
    to: "2026-04-05T23:59Z",
    rows: [
      ["2026-04-03T15:30Z", "2026-04-04 02:30", "NONE", "run", "run", "run"], // +11
      ["2026-04-04T16:00Z", "2026-04-05 02:30", "NONE", "run", "run", "run"], // +10:30
      ["2026-04-05T16:00Z", "2026-04-06 02:30", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "Australia/Lord_Howe",
    expression: EVERY_15_MIN,
    around: "fall back 2026-04-05 (local)",
    from: "2026-04-04T14:15Z",
    to: "2026-04-04T15:45Z",
    rows: [
      ["2026-04-04T14:15Z", "2026-04-05 01:15", "NONE", "run", "run", "run"],
      ["2026-04-04T14:30Z", "2026-04-05 01:30", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-04-04T14:45Z", "2026-04-05 01:45", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-04-04T15:00Z", "2026-04-05 01:30", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-04-04T15:15Z", "2026-04-05 01:45", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-04-04T15:30Z", "2026-04-05 02:00", "NONE", "run", "run", "run"],
      ["2026-04-04T15:45Z", "2026-04-05 02:15", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "Australia/Lord_Howe",
    expression: "30 * * * *",
    around: "fall back 2026-04-05 (local)",
    from: "2026-04-04T13:30Z",
    to: "2026-04-04T16:00Z",
    rows: [
      ["2026-04-04T13:30Z", "2026-04-05 00:30", "NONE", "run", "run", "run"],
      ["2026-04-04T14:30Z", "2026-04-05 01:30", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2026-04-04T15:00Z", "2026-04-05 01:30", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2026-04-04T16:00Z", "2026-04-05 02:30", "NONE", "run", "run", "run"],
    ],
  },

  // ---- Asia/Kolkata: Berlin's fall date is an ordinary day at +05:30.
  {
    zone: "Asia/Kolkata",
    expression: HOURLY,
    around: "2026-10-25 (no transition)",
    from: "2026-10-24T19:30Z",
    to: "2026-10-24T22:30Z",
    rows: [
      ["2026-10-24T19:30Z", "2026-10-25 01:00", "NONE", "run", "run", "run"],
      ["2026-10-24T20:30Z", "2026-10-25 02:00", "NONE", "run", "run", "run"],
      ["2026-10-24T21:30Z", "2026-10-25 03:00", "NONE", "run", "run", "run"],
      ["2026-10-24T22:30Z", "2026-10-25 04:00", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "Asia/Kolkata",
    expression: DAILY_0230,
    around: "2026-10-25 (no transition)",
    from: "2026-10-24T00:00Z",
    to: "2026-10-26T23:59Z",
    rows: [
      ["2026-10-24T21:00Z", "2026-10-25 02:30", "NONE", "run", "run", "run"],
      ["2026-10-25T21:00Z", "2026-10-26 02:30", "NONE", "run", "run", "run"],
      ["2026-10-26T21:00Z", "2026-10-27 02:30", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "Asia/Kolkata",
    expression: EVERY_15_MIN,
    around: "2026-10-25 (no transition)",
    from: "2026-10-24T20:15Z",
    to: "2026-10-24T21:15Z",
    rows: [
      ["2026-10-24T20:15Z", "2026-10-25 01:45", "NONE", "run", "run", "run"],
      ["2026-10-24T20:30Z", "2026-10-25 02:00", "NONE", "run", "run", "run"],
      ["2026-10-24T20:45Z", "2026-10-25 02:15", "NONE", "run", "run", "run"],
      ["2026-10-24T21:00Z", "2026-10-25 02:30", "NONE", "run", "run", "run"],
      ["2026-10-24T21:15Z", "2026-10-25 02:45", "NONE", "run", "run", "run"],
    ],
  },

  // ---- America/Sao_Paulo, 2018-02-18T02:00Z: midnight (-02) went back to 23:00 (-03) of 02-17,
  // so 02-17 23:00-23:59 happen at 01:xxZ, then again at 02:xxZ. The repeated hour is the day before.
  {
    zone: "America/Sao_Paulo",
    expression: HOURLY,
    around: "fall back 2018-02-18",
    from: "2018-02-18T00:00Z",
    to: "2018-02-18T03:00Z",
    rows: [
      ["2018-02-18T00:00Z", "2018-02-17 22:00", "NONE", "run", "run", "run"],
      ["2018-02-18T01:00Z", "2018-02-17 23:00", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2018-02-18T02:00Z", "2018-02-17 23:00", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2018-02-18T03:00Z", "2018-02-18 00:00", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "America/Sao_Paulo",
    expression: DAILY_0230,
    around: "fall back 2018-02-18",
    from: "2018-02-17T00:00Z",
    to: "2018-02-19T23:59Z",
    rows: [
      ["2018-02-17T04:30Z", "2018-02-17 02:30", "NONE", "run", "run", "run"], // -02
      ["2018-02-18T05:30Z", "2018-02-18 02:30", "NONE", "run", "run", "run"], // -03
      ["2018-02-19T05:30Z", "2018-02-19 02:30", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "America/Sao_Paulo",
    expression: EVERY_15_MIN,
    around: "fall back 2018-02-18",
    from: "2018-02-18T00:45Z",
    to: "2018-02-18T03:00Z",
    rows: [
      ["2018-02-18T00:45Z", "2018-02-17 22:45", "NONE", "run", "run", "run"],
      ["2018-02-18T01:00Z", "2018-02-17 23:00", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2018-02-18T01:15Z", "2018-02-17 23:15", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2018-02-18T01:30Z", "2018-02-17 23:30", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2018-02-18T01:45Z", "2018-02-17 23:45", "REPEATED_TIME_FIRST", "run", "skip", "run"],
      ["2018-02-18T02:00Z", "2018-02-17 23:00", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2018-02-18T02:15Z", "2018-02-17 23:15", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2018-02-18T02:30Z", "2018-02-17 23:30", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2018-02-18T02:45Z", "2018-02-17 23:45", "REPEATED_TIME_SECOND", "skip", "run", "run"],
      ["2018-02-18T03:00Z", "2018-02-18 00:00", "NONE", "run", "run", "run"],
    ],
  },

  // ---- America/Sao_Paulo, 2020-02-16 (the old rules' third Sunday of February): no DST any more, -03.
  {
    zone: "America/Sao_Paulo",
    expression: HOURLY,
    around: "2020-02-16 (no transition since 2019)",
    from: "2020-02-16T00:00Z",
    to: "2020-02-16T03:00Z",
    rows: [
      ["2020-02-16T00:00Z", "2020-02-15 21:00", "NONE", "run", "run", "run"],
      ["2020-02-16T01:00Z", "2020-02-15 22:00", "NONE", "run", "run", "run"],
      ["2020-02-16T02:00Z", "2020-02-15 23:00", "NONE", "run", "run", "run"],
      ["2020-02-16T03:00Z", "2020-02-16 00:00", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "America/Sao_Paulo",
    expression: DAILY_0230,
    around: "2020-02-16 (no transition since 2019)",
    from: "2020-02-15T00:00Z",
    to: "2020-02-17T23:59Z",
    rows: [
      ["2020-02-15T05:30Z", "2020-02-15 02:30", "NONE", "run", "run", "run"],
      ["2020-02-16T05:30Z", "2020-02-16 02:30", "NONE", "run", "run", "run"],
      ["2020-02-17T05:30Z", "2020-02-17 02:30", "NONE", "run", "run", "run"],
    ],
  },
  {
    zone: "America/Sao_Paulo",
    expression: EVERY_15_MIN,
    around: "2020-02-16 (no transition since 2019)",
    from: "2020-02-16T01:45Z",
    to: "2020-02-16T03:00Z",
    rows: [
      ["2020-02-16T01:45Z", "2020-02-15 22:45", "NONE", "run", "run", "run"],
      ["2020-02-16T02:00Z", "2020-02-15 23:00", "NONE", "run", "run", "run"],
      ["2020-02-16T02:15Z", "2020-02-15 23:15", "NONE", "run", "run", "run"],
      ["2020-02-16T02:30Z", "2020-02-15 23:30", "NONE", "run", "run", "run"],
      ["2020-02-16T02:45Z", "2020-02-15 23:45", "NONE", "run", "run", "run"],
      ["2020-02-16T03:00Z", "2020-02-16 00:00", "NONE", "run", "run", "run"],
    ],
  },
];

/** The fires a table expects under the policy whose column is `column` (0-based after the effect). */
function expectedFires(rows: (SpringRow | FallRow)[], column: number): Shown[] {
  return rows
    .filter((row) => row[3 + column] !== "-")
    .map(([time, local, effect, ...outcomes]) => ({ utc: utc(at(time)), local, effect, skipped: outcomes[column] === "skip" }));
}

const matrix = [
  ...springCases.flatMap((c) =>
    ALL_POLICIES.map((policy) => ({ ...c, policy, expected: expectedFires(c.rows, MISSING_POLICIES.indexOf(policy.onMissingTime)) })),
  ),
  ...fallCases.flatMap((c) =>
    ALL_POLICIES.map((policy) => ({ ...c, policy, expected: expectedFires(c.rows, REPEATED_POLICIES.indexOf(policy.onRepeatedTime)) })),
  ),
];

describe("cronFires around DST transitions", () => {
  it.each(matrix)(
    "$zone '$expression' $around, $policy.onMissingTime / $policy.onRepeatedTime",
    ({ zone, expression, from, to, policy, expected }) => {
      const fires = firesBetween(cronOf(expression, zone, policy), at(from), at(to));
      expect(fires.map(show)).toEqual(expected);
    },
  );
});

// ---------------------------------------------------------------------------------------------

describe("nextCronFire", () => {
  const berlinHourly = (policy: Pick<ZonedCron, "onMissingTime" | "onRepeatedTime">) => cronOf(HOURLY, "Europe/Berlin", policy);

  it("is strictly after `after`: resuming from the merged gap fire does not fire 03:00 again", () => {
    const cron = berlinHourly({ onMissingTime: "RUN_AT_NEXT_VALID_TIME", onRepeatedTime: "RUN_BOTH" });
    const gap = nextCronFire(cron, at("2026-03-29T00:00Z"))!;
    expect(show(gap)).toEqual({ utc: "2026-03-29T01:00:00Z", local: "2026-03-29 02:00", effect: "MISSING_TIME x1", skipped: false });
    expect(show(nextCronFire(cron, gap.time)!)).toEqual({ utc: "2026-03-29T02:00:00Z", local: "2026-03-29 04:00", effect: "NONE", skipped: false });
  });

  it("passes over skipped fires", () => {
    const skipGap = berlinHourly({ onMissingTime: "SKIP", onRepeatedTime: "RUN_BOTH" });
    expect(show(nextCronFire(skipGap, at("2026-03-29T00:00Z"))!)).toEqual({
      utc: "2026-03-29T01:00:00Z",
      local: "2026-03-29 03:00",
      effect: "NONE",
      skipped: false,
    });
    const onlyLast = berlinHourly({ onMissingTime: "SKIP", onRepeatedTime: "RUN_ONCE_LAST" });
    expect(show(nextCronFire(onlyLast, at("2026-10-24T23:00Z"))!)).toEqual({
      utc: "2026-10-25T01:00:00Z",
      local: "2026-10-25 02:00",
      effect: "REPEATED_TIME_SECOND",
      skipped: false,
    });
    const onlyFirst = berlinHourly({ onMissingTime: "SKIP", onRepeatedTime: "RUN_ONCE_FIRST" });
    expect(show(nextCronFire(onlyFirst, at("2026-10-25T00:00Z"))!)).toEqual({
      utc: "2026-10-25T02:00:00Z",
      local: "2026-10-25 03:00",
      effect: "NONE",
      skipped: false,
    });
  });

  it("resumed from each fire in turn, gives the same fires as one walk (Berlin every 15 minutes, both transitions)", () => {
    for (const policy of ALL_POLICIES) {
      const cron = cronOf(EVERY_15_MIN, "Europe/Berlin", policy);
      for (const [from, to] of [
        ["2026-03-28T23:00Z", "2026-03-29T03:00Z"],
        ["2026-10-24T22:00Z", "2026-10-25T03:00Z"],
      ] as const) {
        const walked = firesBetween(cron, at(from), at(to)).filter((f) => !f.skipped);
        const resumed: CronFire[] = [];
        for (let f = nextCronFire(cron, at(from) - 1); f && f.time <= at(to); f = nextCronFire(cron, f.time)) resumed.push(f);
        expect(resumed.map(show)).toEqual(walked.map(show));
      }
    }
  });
});

describe("a 6-field expression with seconds", () => {
  it.each(ALL_POLICIES)("'0 30 2 * * *' fires as '30 2 * * *' does in Berlin, $onMissingTime / $onRepeatedTime", (policy) => {
    for (const [from, to] of [
      ["2026-03-27T00:00Z", "2026-03-31T00:00Z"],
      ["2026-10-23T00:00Z", "2026-10-27T00:00Z"],
    ] as const) {
      const withSeconds = firesBetween(cronOf("0 30 2 * * *", "Europe/Berlin", policy), at(from), at(to));
      const withoutSeconds = firesBetween(cronOf(DAILY_0230, "Europe/Berlin", policy), at(from), at(to));
      expect(withSeconds.map(show)).toEqual(withoutSeconds.map(show));
      expect(withSeconds.length).toBeGreaterThanOrEqual(4);
    }
  });

  it("'0 30 2 * * *' in Berlin: the 2026-03-29 fire is at the transition, the 2026-10-25 one twice under RUN_BOTH", () => {
    const cron = cronOf("0 30 2 * * *", "Europe/Berlin", { onMissingTime: "RUN_AT_NEXT_VALID_TIME", onRepeatedTime: "RUN_BOTH" });
    expect(firesBetween(cron, at("2026-03-29T00:00Z"), at("2026-03-29T23:59Z")).map(show)).toEqual([
      { utc: "2026-03-29T01:00:00Z", local: "2026-03-29 02:30", effect: "MISSING_TIME x1", skipped: false },
    ]);
    expect(firesBetween(cron, at("2026-10-25T00:00Z"), at("2026-10-25T23:59Z")).map(show)).toEqual([
      { utc: "2026-10-25T00:30:00Z", local: "2026-10-25 02:30", effect: "REPEATED_TIME_FIRST", skipped: false },
      { utc: "2026-10-25T01:30:00Z", local: "2026-10-25 02:30", effect: "REPEATED_TIME_SECOND", skipped: false },
    ]);
  });

  it.each([
    // onMissingTime, rows: [UTC, local, effect, skipped]
    [
      "RUN_AT_NEXT_VALID_TIME",
      [
        ["2026-03-29T00:59:40Z", "2026-03-29 01:59:40", "NONE", false],
        // 02:00:00 .. 02:59:40, every 20 seconds: 180 missing local times; 03:00:00 merges in.
        ["2026-03-29T01:00:00Z", "2026-03-29 02:00", "MISSING_TIME x180", false],
        ["2026-03-29T01:00:20Z", "2026-03-29 03:00:20", "NONE", false],
      ],
    ],
    [
      "SKIP",
      [
        ["2026-03-29T00:59:40Z", "2026-03-29 01:59:40", "NONE", false],
        ["2026-03-29T01:00:00Z", "2026-03-29 02:00", "MISSING_TIME x180", true],
        ["2026-03-29T01:00:00Z", "2026-03-29 03:00", "NONE", false],
        ["2026-03-29T01:00:20Z", "2026-03-29 03:00:20", "NONE", false],
      ],
    ],
  ] as const)("'*/20 * * * * *' in Berlin's spring gap under %s", (onMissingTime, rows) => {
    const cron = cronOf("*/20 * * * * *", "Europe/Berlin", { onMissingTime, onRepeatedTime: "RUN_BOTH" });
    const fires = firesBetween(cron, at("2026-03-29T00:59:40Z"), at("2026-03-29T01:00:20Z"));
    expect(fires.map(show)).toEqual(rows.map(([time, local, effect, skipped]) => ({ utc: time, local, effect, skipped })));
  });
});

describe("yearly expressions", () => {
  it("'30 2 29 3 *' in Berlin: 2026-03-29 02:30 is in the gap", () => {
    const fires = (onMissingTime: MissingTimePolicy) =>
      firesBetween(cronOf("30 2 29 3 *", "Europe/Berlin", { onMissingTime, onRepeatedTime: "RUN_BOTH" }), at("2025-01-01T00:00Z"), at("2028-01-01T00:00Z"));
    // In 2025 summer time began 03-30 (02:30 is +01); in 2027, 03-28 (02:30 is +02).
    expect(fires("RUN_AT_NEXT_VALID_TIME").map(show)).toEqual([
      { utc: "2025-03-29T01:30:00Z", local: "2025-03-29 02:30", effect: "NONE", skipped: false },
      { utc: "2026-03-29T01:00:00Z", local: "2026-03-29 02:30", effect: "MISSING_TIME x1", skipped: false },
      { utc: "2027-03-29T00:30:00Z", local: "2027-03-29 02:30", effect: "NONE", skipped: false },
    ]);
    expect(fires("SKIP").map(show)).toEqual([
      { utc: "2025-03-29T01:30:00Z", local: "2025-03-29 02:30", effect: "NONE", skipped: false },
      { utc: "2026-03-29T01:00:00Z", local: "2026-03-29 02:30", effect: "MISSING_TIME x1", skipped: true },
      { utc: "2027-03-29T00:30:00Z", local: "2027-03-29 02:30", effect: "NONE", skipped: false },
    ]);
    const skipping = cronOf("30 2 29 3 *", "Europe/Berlin", { onMissingTime: "SKIP", onRepeatedTime: "RUN_BOTH" });
    expect(utc(nextCronFire(skipping, at("2026-01-01T00:00Z"))!.time)).toBe("2027-03-29T00:30:00Z");
  });

  it.each([
    ["RUN_ONCE_FIRST", ["2026-10-25T00:30:00Z"]],
    ["RUN_ONCE_LAST", ["2026-10-25T01:30:00Z"]],
    ["RUN_BOTH", ["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"]],
  ] as const)("'30 2 25 10 *' in Berlin: 2026-10-25 02:30 happens twice, %s", (onRepeatedTime, times) => {
    const cron = cronOf("30 2 25 10 *", "Europe/Berlin", { onMissingTime: "SKIP", onRepeatedTime });
    const fires = firesBetween(cron, at("2026-01-01T00:00Z"), at("2027-12-31T00:00Z")).filter((f) => !f.skipped);
    // In 2027 summer time ends on 10-31, so 2027-10-25 02:30 happens once, at +02.
    expect(fires.map((f) => utc(f.time))).toEqual([...times, "2027-10-25T00:30:00Z"]);
  });

  it("'0 0 1 1 *' in New York fires at local midnight on New Year's Day", () => {
    const cron = cronOf("0 0 1 1 *", "America/New_York", { onMissingTime: "SKIP", onRepeatedTime: "RUN_ONCE_FIRST" });
    const fires = firesBetween(cron, at("2026-01-01T00:00Z"), at("2029-01-01T23:59Z"));
    expect(fires.map(show)).toEqual([
      { utc: "2026-01-01T05:00:00Z", local: "2026-01-01 00:00", effect: "NONE", skipped: false },
      { utc: "2027-01-01T05:00:00Z", local: "2027-01-01 00:00", effect: "NONE", skipped: false },
      { utc: "2028-01-01T05:00:00Z", local: "2028-01-01 00:00", effect: "NONE", skipped: false },
      { utc: "2029-01-01T05:00:00Z", local: "2029-01-01 00:00", effect: "NONE", skipped: false },
    ]);
  });

  it("'0 12 29 2 *' in Berlin fires only on leap days", () => {
    const cron = cronOf("0 12 29 2 *", "Europe/Berlin", { onMissingTime: "SKIP", onRepeatedTime: "RUN_ONCE_FIRST" });
    expect(utc(nextCronFire(cron, at("2026-01-01T00:00Z"))!.time)).toBe("2028-02-29T11:00:00Z");
    expect(utc(nextCronFire(cron, at("2028-02-29T11:00Z"))!.time)).toBe("2032-02-29T11:00:00Z");
  });
});

describe("other examples from docs/scheduling.md", () => {
  it.each(REPEATED_POLICIES)("America/New_York '30 1 * * *' on 2026-11-01 sees 01:30 EDT and 01:30 EST (%s)", (onRepeatedTime) => {
    const cron = cronOf("30 1 * * *", "America/New_York", { onMissingTime: "SKIP", onRepeatedTime });
    expect(firesBetween(cron, at("2026-11-01T00:00Z"), at("2026-11-01T23:59Z")).map(show)).toEqual([
      { utc: "2026-11-01T05:30:00Z", local: "2026-11-01 01:30", effect: "REPEATED_TIME_FIRST", skipped: onRepeatedTime === "RUN_ONCE_LAST" },
      { utc: "2026-11-01T06:30:00Z", local: "2026-11-01 01:30", effect: "REPEATED_TIME_SECOND", skipped: onRepeatedTime === "RUN_ONCE_FIRST" },
    ]);
  });

  it.each(MISSING_POLICIES)("America/Sao_Paulo '0 0 * * *': midnight of 2018-11-04 did not exist, 2019-11-03's did (%s)", (onMissingTime) => {
    const cron = cronOf("0 0 * * *", "America/Sao_Paulo", { onMissingTime, onRepeatedTime: "RUN_ONCE_FIRST" });
    expect(firesBetween(cron, at("2018-11-03T00:00Z"), at("2018-11-05T23:59Z")).map(show)).toEqual([
      { utc: "2018-11-03T03:00:00Z", local: "2018-11-03 00:00", effect: "NONE", skipped: false }, // -03
      { utc: "2018-11-04T03:00:00Z", local: "2018-11-04 00:00", effect: "MISSING_TIME x1", skipped: onMissingTime === "SKIP" },
      { utc: "2018-11-05T02:00:00Z", local: "2018-11-05 00:00", effect: "NONE", skipped: false }, // -02
    ]);
    expect(firesBetween(cron, at("2019-11-03T00:00Z"), at("2019-11-03T23:59Z")).map(show)).toEqual([
      { utc: "2019-11-03T03:00:00Z", local: "2019-11-03 00:00", effect: "NONE", skipped: false },
    ]);
  });
});

// latestCronFires must return the latest `limit` fires that run, as a forward walk lists them. A
// local time that gives no running fire at or before `until` (one skipped by a DST policy, one
// merged into a gap's fire, or a repeated one whose running occurrence is after `until`) must not
// take up a place.
describe("latestCronFires", () => {
  const berlin = (expression: string, onMissingTime: MissingTimePolicy, onRepeatedTime: RepeatedTimePolicy) =>
    cronOf(expression, "Europe/Berlin", { onMissingTime, onRepeatedTime });

  it.each([
    // onRepeatedTime, until, limit, expected (oldest first)
    ["RUN_BOTH", "2026-10-25T01:30Z", 3, ["2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z"]],
    ["RUN_ONCE_FIRST", "2026-10-25T01:30Z", 3, ["2026-10-24T22:00:00Z", "2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z"]],
    ["RUN_ONCE_LAST", "2026-10-25T01:30Z", 3, ["2026-10-24T22:00:00Z", "2026-10-24T23:00:00Z", "2026-10-25T01:00:00Z"]],
    // 02:00 (+02) at 00:00Z ran; 02:00 (+01) at 01:00Z is skipped; 03:00 (+01) is 02:00Z, after `until`.
    ["RUN_ONCE_FIRST", "2026-10-25T01:30Z", 1, ["2026-10-25T00:00:00Z"]],
    // 02:00 (+02) at 00:00Z is skipped and its last occurrence, 01:00Z, is after `until`: 01:00 (+02) is the latest.
    ["RUN_ONCE_LAST", "2026-10-25T00:30Z", 1, ["2026-10-24T23:00:00Z"]],
    // `until` is inclusive.
    ["RUN_BOTH", "2026-10-25T01:00Z", 2, ["2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z"]],
    ["RUN_ONCE_LAST", "2026-10-25T02:00Z", 2, ["2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"]],
  ] as const)("Berlin hourly across the fall back, %s, until %s, limit %i", (onRepeatedTime, until, limit, expected) => {
    const cron = berlin(HOURLY, "SKIP", onRepeatedTime);
    expect(latestCronFires(cron, at("2026-10-01T00:00Z"), at(until), limit).map(utc)).toEqual(expected);
  });

  it.each(MISSING_POLICIES)("Berlin every 15 minutes across the spring gap, %s", (onMissingTime) => {
    const cron = berlin(EVERY_15_MIN, onMissingTime, "RUN_BOTH");
    // Either way one fire runs at 01:00Z: the gap's, or 03:00's.
    expect(latestCronFires(cron, at("2026-03-01T00:00Z"), at("2026-03-29T01:20Z"), 3).map(utc)).toEqual([
      "2026-03-29T00:45:00Z",
      "2026-03-29T01:00:00Z",
      "2026-03-29T01:15:00Z",
    ]);
  });

  // A scheduler catching up a few missed fires asks for the latest 1,000: the answer is just the
  // missed ones, found without stepping back 1,000 matches (which once cost ~20 ms a run).
  it.each([
    // Straddles the fall back: the repeated 01:00:00-01:00:03 has run already (RUN_ONCE_FIRST).
    ["America/New_York", "* * * * * *", "2026-11-01T05:59:55Z", "2026-11-01T06:00:03Z", 4],
    // Straddles the 30-minute spring gap: 02:00 and 02:15 merge into the 02:30 fire.
    ["Australia/Lord_Howe", "*/15 * * * *", "2026-10-03T15:00:00Z", "2026-10-03T16:30:00Z", 6],
    ["Asia/Kolkata", "30 2 * * *", "2026-03-27T00:00:00Z", "2026-03-30T00:00:00Z", 3],
  ] as const)("a few missed fires under a large limit, %s %s", (zone, expression, after, until, count) => {
    const cron = cronOf(expression, zone, { onMissingTime: "RUN_AT_NEXT_VALID_TIME", onRepeatedTime: "RUN_ONCE_FIRST" });
    const fires = latestCronFires(cron, at(after), at(until), 1_000);
    expect(fires).toHaveLength(count);
    expect(fires.every((t) => t > at(after) && t <= at(until))).toBe(true);
    // The same fires a forward walk from `after` finds.
    const walked: number[] = [];
    for (let t = nextCronFire(cron, at(after)); t && t.time <= at(until); t = nextCronFire(cron, t.time)) if (!t.skipped) walked.push(t.time);
    expect(fires).toEqual(walked);
  });

  it("`after` is exclusive and bounds the result", () => {
    const cron = (onRepeatedTime: RepeatedTimePolicy) => berlin(HOURLY, "SKIP", onRepeatedTime);
    const after = at("2026-10-25T00:00Z");
    const until = at("2026-10-25T01:30Z");
    expect(latestCronFires(cron("RUN_BOTH"), after, until, 10).map(utc)).toEqual(["2026-10-25T01:00:00Z"]);
    expect(latestCronFires(cron("RUN_ONCE_LAST"), after, until, 10).map(utc)).toEqual(["2026-10-25T01:00:00Z"]);
    expect(latestCronFires(cron("RUN_ONCE_FIRST"), after, until, 10).map(utc)).toEqual([]);
    expect(latestCronFires(cron("RUN_BOTH"), after, until, 0)).toEqual([]);
  });

  it("daily 02:30 with SKIP: the skipped 2026-03-29 does not count towards the limit", () => {
    const cron = berlin(DAILY_0230, "SKIP", "RUN_BOTH");
    expect(latestCronFires(cron, at("2026-03-01T00:00Z"), at("2026-03-30T12:00Z"), 2).map(utc)).toEqual([
      "2026-03-28T01:30:00Z",
      "2026-03-30T00:30:00Z",
    ]);
  });

  it("'*/15 2 * * *' with RUN_AT_NEXT_VALID_TIME: four missing times are one fire, so earlier days fill the limit", () => {
    const cron = berlin("*/15 2 * * *", "RUN_AT_NEXT_VALID_TIME", "RUN_BOTH");
    expect(latestCronFires(cron, at("2026-03-01T00:00Z"), at("2026-03-29T12:00Z"), 3).map(utc)).toEqual([
      "2026-03-28T01:30:00Z",
      "2026-03-28T01:45:00Z",
      "2026-03-29T01:00:00Z",
    ]);
  });

  it("agrees with the last `limit` running fires of a forward walk, around both Berlin transitions", () => {
    const untils = ["2026-03-29T00:30Z", "2026-03-29T01:00Z", "2026-03-29T01:30Z", "2026-03-30T03:00Z", "2026-10-25T00:30Z", "2026-10-25T01:30Z", "2026-10-26T03:00Z"];
    const wrong: string[] = [];
    for (const policy of ALL_POLICIES) {
      for (const expression of [HOURLY, DAILY_0230, EVERY_15_MIN]) {
        const cron = cronOf(expression, "Europe/Berlin", policy);
        for (const until of untils) {
          const after = at(until) - 2 * 86_400_000;
          const running = firesBetween(cron, after + 1, at(until))
            .filter((f) => !f.skipped)
            .map((f) => utc(f.time));
          for (const limit of [1, 2, 3, 5]) {
            const got = latestCronFires(cron, after, at(until), limit).map(utc);
            const want = running.slice(-limit);
            if (got.join() !== want.join()) {
              wrong.push(`'${expression}' ${policy.onMissingTime}/${policy.onRepeatedTime} until ${until} limit ${limit}: got [${got}], want [${want}]`);
            }
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: over a whole (local) year under one policy, and within a day of each
// transition under every policy.

const yearZones = [
  { zone: "Europe/Berlin", year: 2026, transitions: ["2026-03-29T01:00Z", "2026-10-25T01:00Z"] },
  { zone: "America/New_York", year: 2026, transitions: ["2026-03-08T07:00Z", "2026-11-01T06:00Z"] },
  { zone: "Australia/Lord_Howe", year: 2026, transitions: ["2026-04-04T15:00Z", "2026-10-03T15:30Z"] },
  { zone: "America/Sao_Paulo", year: 2018, transitions: ["2018-02-18T02:00Z", "2018-11-04T03:00Z"] },
];

/** The instant of local midnight starting `year` (no zone here changes offset near New Year). */
const localNewYear = (zone: string, year: number) => 2 * Date.UTC(year, 0, 1) - wallClockAt(zone, Date.UTC(year, 0, 1));

const yearFireCache = new Map<string, CronFire[]>();

/** Every fire (skipped ones too) whose instant falls in the zone's local calendar year; walked once. */
function firesOfLocalYear(cron: ZonedCron, year: number): CronFire[] {
  const key = JSON.stringify([cron, year]);
  let fires = yearFireCache.get(key);
  if (!fires) {
    fires = firesBetween(cron, localNewYear(cron.timeZone, year), localNewYear(cron.timeZone, year + 1) - 1);
    yearFireCache.set(key, fires);
  }
  return fires;
}

const localDate = (zone: string, t: number) => new Date(wallClockAt(zone, t)).toISOString().slice(0, 10);

function daysOfYear(year: number): string[] {
  const days: string[] = [];
  for (let d = Date.UTC(year, 0, 1); d < Date.UTC(year + 1, 0, 1); d += 86_400_000) days.push(new Date(d).toISOString().slice(0, 10));
  return days;
}

/**
 * Running fire instants strictly increase; the wall clock at each fire (read from Intl) is the
 * local time it matched, except for MISSING_TIME, whose local time never happens: the offset jumps
 * over it at the fire. Returns the violations, as text.
 */
function propertyViolations(zone: string, fires: CronFire[]): string[] {
  const wrong: string[] = [];
  let last = -Infinity;
  for (const fire of fires) {
    const clock = wallClockAt(zone, fire.time);
    if (fire.effect === "MISSING_TIME") {
      const before = wallClockAt(zone, fire.time - 1) + 1 - fire.time;
      const after = clock - fire.time;
      if (!(before < after && fire.time + before <= fire.localTime && fire.localTime < fire.time + after)) {
        wrong.push(`${utc(fire.time)}: MISSING_TIME ${wall(fire.localTime)} does happen (offset ${before} -> ${after})`);
      }
    } else if (clock !== fire.localTime) {
      wrong.push(`${utc(fire.time)} is ${wall(clock)} local, but the fire says ${wall(fire.localTime)}`);
    }
    if (fire.skipped) continue;
    if (fire.time <= last) wrong.push(`${utc(last)} then ${utc(fire.time)}`);
    last = fire.time;
  }
  return wrong;
}

describe.each(yearZones)("over $zone's $year", ({ zone, year, transitions }) => {
  const hourlyYear = () => firesOfLocalYear(cronOf(HOURLY, zone, { onMissingTime: "SKIP", onRepeatedTime: "RUN_BOTH" }), year);

  it("hourly (SKIP / RUN_BOTH) all year: running instants strictly increase, each fire's wall clock is its local time", () => {
    expect(hourlyYear().length).toBeGreaterThan(8700);
    expect(propertyViolations(zone, hourlyYear())).toEqual([]);
  });

  it("hourly (SKIP / RUN_BOTH) all year: runs every whole local hour, each occurrence; lists the missing ones as skipped", () => {
    // A year has days × 24 whole local hours. Each one the spring gap swallows is listed as
    // skipped and does not run; each one the fall back repeats runs twice.
    const hours = daysOfYear(year).length * 24;
    const { missing, repeated } = {
      "Europe/Berlin": { missing: 1, repeated: 1 }, // 02:00 on 03-29; 02:00 on 10-25
      "America/New_York": { missing: 1, repeated: 1 }, // 02:00 on 03-08; 01:00 on 11-01
      "Australia/Lord_Howe": { missing: 1, repeated: 0 }, // 02:00 on 10-04; only 01:30-01:59 repeat
      "America/Sao_Paulo": { missing: 1, repeated: 1 }, // 00:00 on 11-04; 23:00 on 02-17
    }[zone]!;
    expect({
      running: hourlyYear().filter((f) => !f.skipped).length,
      skipped: hourlyYear().filter((f) => f.skipped).length,
    }).toEqual({ running: hours - missing + repeated, skipped: missing });
  });

  it.each(ALL_POLICIES)("hourly, daily 02:30 and every 15 minutes within a day of each transition ($onMissingTime / $onRepeatedTime)", (policy) => {
    for (const expression of [HOURLY, DAILY_0230, EVERY_15_MIN]) {
      for (const transition of transitions) {
        const fires = firesBetween(cronOf(expression, zone, policy), at(transition) - 86_400_000, at(transition) + 86_400_000);
        expect(fires.length).toBeGreaterThanOrEqual(2);
        expect(propertyViolations(zone, fires), `'${expression}' around ${transition}`).toEqual([]);
      }
    }
  });

  it.each([
    // [onMissingTime, onRepeatedTime]
    ["RUN_AT_NEXT_VALID_TIME", "RUN_ONCE_FIRST"],
    ["RUN_AT_NEXT_VALID_TIME", "RUN_ONCE_LAST"],
  ] as const)("daily 02:30 (%s / %s) runs exactly once on every local calendar day", (onMissingTime, onRepeatedTime) => {
    const fires = firesOfLocalYear(cronOf(DAILY_0230, zone, { onMissingTime, onRepeatedTime }), year);
    expect(propertyViolations(zone, fires)).toEqual([]);
    expect(fires.filter((f) => !f.skipped).map((f) => localDate(zone, f.time))).toEqual(daysOfYear(year));
  });

  it("daily 02:30 (SKIP / RUN_BOTH) runs once a day, except on a day 02:30 is missing (none) or repeated (twice)", () => {
    const fires = firesOfLocalYear(cronOf(DAILY_0230, zone, { onMissingTime: "SKIP", onRepeatedTime: "RUN_BOTH" }), year);
    expect(propertyViolations(zone, fires)).toEqual([]);
    const counts = new Map<string, number>();
    for (const f of fires.filter((f) => !f.skipped)) counts.set(localDate(zone, f.time), (counts.get(localDate(zone, f.time)) ?? 0) + 1);
    const unusual = daysOfYear(year)
      .filter((day) => counts.get(day) !== 1)
      .map((day) => [day, counts.get(day) ?? 0]);
    const expected = {
      "Europe/Berlin": [
        ["2026-03-29", 0],
        ["2026-10-25", 2],
      ],
      "America/New_York": [["2026-03-08", 0]], // the repeated hour is 01:00-01:59
      "Australia/Lord_Howe": [], // 02:30 exists once on both transition days
      "America/Sao_Paulo": [], // the gap is 00:00-00:59, the repeated hour 23:00-23:59
    }[zone];
    expect(unusual).toEqual(expected);
  });
});
