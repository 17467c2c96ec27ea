// Fire times for every schedule kind, with exact UTC instants.
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../domain/errors.js";
import type { Schedule } from "../domain/model.js";
import { checkedSchedule, firstFireTime, latestFireTimes, isFireTime, isRecurring, missedFires, nextFireTime, upcomingFireTimes } from "./fire-times.js";

const common = { overlap: "SKIP", catchUp: { mode: "ONE", windowMs: 3_600_000, maxRuns: 100 }, jitterMs: 0 } as const;
const cron = (expression: string, timeZone = "UTC", bounds: { startTime?: Date; endTime?: Date } = {}): Schedule => ({
  ...common,
  ...bounds,
  kind: "cron",
  expression,
  timeZone,
  onMissingTime: "RUN_AT_NEXT_VALID_TIME",
  onRepeatedTime: "RUN_ONCE_FIRST",
});
const interval = (everyMs: number, offsetMs = 0, bounds: { startTime?: Date; endTime?: Date } = {}): Schedule => ({
  ...common,
  ...bounds,
  kind: "interval",
  everyMs,
  offsetMs,
});
const d = (iso: string) => new Date(iso);
const iso = (times: Date[]) => times.map((t) => t.toISOString());

describe("cron schedules", () => {
  it("fires a 5-field expression on the minute", () => {
    expect(iso(upcomingFireTimes(cron("*/20 * * * *"), d("2025-01-01T10:05:30Z"), 3))).toEqual([
      "2025-01-01T10:20:00.000Z",
      "2025-01-01T10:40:00.000Z",
      "2025-01-01T11:00:00.000Z",
    ]);
  });

  it("reads a 6-field expression as seconds first", () => {
    expect(iso(upcomingFireTimes(cron("*/15 * * * * *"), d("2025-01-01T00:00:14.999Z"), 3))).toEqual([
      "2025-01-01T00:00:15.000Z",
      "2025-01-01T00:00:30.000Z",
      "2025-01-01T00:00:45.000Z",
    ]);
    expect(nextFireTime(cron("30 0 12 * * *"), d("2025-06-01T00:00:00Z"))).toEqual(d("2025-06-01T12:00:30Z"));
  });

  it("accepts predefined expressions such as @hourly and @daily", () => {
    expect(iso(upcomingFireTimes(cron("@hourly"), d("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2025-01-01T01:00:00.000Z",
      "2025-01-01T02:00:00.000Z",
    ]);
    expect(nextFireTime(cron("@daily"), d("2025-01-01T00:00:00Z"))).toEqual(d("2025-01-02T00:00:00Z"));
  });

  it("fires 09:00 Europe/Berlin at 08:00Z before and 07:00Z after the spring DST change (30 March 2025)", () => {
    expect(iso(upcomingFireTimes(cron("0 9 * * *", "Europe/Berlin"), d("2025-03-28T12:00:00Z"), 3))).toEqual([
      "2025-03-29T08:00:00.000Z",
      "2025-03-30T07:00:00.000Z",
      "2025-03-31T07:00:00.000Z",
    ]);
  });

  it("fires 09:00 Europe/Berlin at 07:00Z before and 08:00Z after the autumn DST change (26 October 2025)", () => {
    expect(iso(upcomingFireTimes(cron("0 9 * * *", "Europe/Berlin"), d("2025-10-24T12:00:00Z"), 3))).toEqual([
      "2025-10-25T07:00:00.000Z",
      "2025-10-26T08:00:00.000Z",
      "2025-10-27T08:00:00.000Z",
    ]);
  });

  it("fires 09:00 America/New_York at 14:00Z before and 13:00Z after the DST change (9 March 2025)", () => {
    expect(iso(upcomingFireTimes(cron("0 9 * * *", "America/New_York"), d("2025-03-07T20:00:00Z"), 3))).toEqual([
      "2025-03-08T14:00:00.000Z",
      "2025-03-09T13:00:00.000Z",
      "2025-03-10T13:00:00.000Z",
    ]);
  });

  it("fires 09:00 Asia/Kolkata (no DST, +05:30) at 03:30Z on every day of a European DST change", () => {
    expect(iso(upcomingFireTimes(cron("0 9 * * *", "Asia/Kolkata"), d("2025-03-28T12:00:00Z"), 3))).toEqual([
      "2025-03-29T03:30:00.000Z",
      "2025-03-30T03:30:00.000Z",
      "2025-03-31T03:30:00.000Z",
    ]);
  });

  it("fires a time skipped by the spring change once, when clocks jump (RUN_AT_NEXT_VALID_TIME)", () => {
    // 02:30 does not exist in Berlin on 30 March 2025; the fire lands at 03:00 CEST = 01:00Z.
    expect(iso(upcomingFireTimes(cron("30 2 * * *", "Europe/Berlin"), d("2025-03-28T12:00:00Z"), 3))).toEqual([
      "2025-03-29T01:30:00.000Z",
      "2025-03-30T01:00:00.000Z",
      "2025-03-31T00:30:00.000Z",
    ]);
  });
});

describe("interval schedules", () => {
  it("fires on the grid epoch + offset + k x every, strictly after the given time", () => {
    const s = interval(60_000, 15_000);
    expect(nextFireTime(s, d("2025-01-01T00:00:00Z"))).toEqual(d("2025-01-01T00:00:15Z"));
    expect(nextFireTime(s, d("2025-01-01T00:00:15Z"))).toEqual(d("2025-01-01T00:01:15Z"));
    expect(nextFireTime(s, d("2025-01-01T00:00:14.999Z"))).toEqual(d("2025-01-01T00:00:15Z"));
  });

  it("keeps the grid whatever time the task is created", () => {
    const s = interval(3_600_000, 600_000);
    expect(firstFireTime(s, d("2025-05-05T13:47:12.345Z"))).toEqual(d("2025-05-05T14:10:00Z"));
    expect(iso(upcomingFireTimes(s, d("2025-05-05T13:47:12.345Z"), 3))).toEqual([
      "2025-05-05T14:10:00.000Z",
      "2025-05-05T15:10:00.000Z",
      "2025-05-05T16:10:00.000Z",
    ]);
  });

  it("fires at creation time when creation falls exactly on the grid", () => {
    expect(firstFireTime(interval(60_000), d("2025-01-01T00:05:00Z"))).toEqual(d("2025-01-01T00:05:00Z"));
  });

  it("never shifts with DST: every 24 h stays at 01:30 UTC across both of Berlin's 2027 transitions", () => {
    const daily = interval(24 * 3_600_000, 5_400_000);
    for (const around of ["2027-03-27T12:00:00Z", "2027-10-30T12:00:00Z"]) {
      const times = upcomingFireTimes(daily, d(around), 3);
      expect(times.map((t) => t.toISOString().slice(11))).toEqual(["01:30:00.000Z", "01:30:00.000Z", "01:30:00.000Z"]);
      expect(times[2]!.getTime() - times[0]!.getTime()).toBe(48 * 3_600_000);
    }
    // Every 15 minutes through the hour Berlin's clocks skip: four fires, 15 minutes apart.
    expect(iso(upcomingFireTimes(interval(900_000), d("2027-03-28T00:59:59Z"), 4))).toEqual([
      "2027-03-28T01:00:00.000Z",
      "2027-03-28T01:15:00.000Z",
      "2027-03-28T01:30:00.000Z",
      "2027-03-28T01:45:00.000Z",
    ]);
  });
});

describe("start and end bounds", () => {
  it("does not fire before the start time, and fires at the start time when it is on the grid", () => {
    const startTime = d("2025-01-01T12:00:00Z");
    expect(firstFireTime(interval(60_000, 0, { startTime }), d("2025-01-01T00:00:00Z"))).toEqual(startTime);
    expect(firstFireTime(cron("0 * * * *", "UTC", { startTime }), d("2025-01-01T00:00:00Z"))).toEqual(startTime);
  });

  it("fires at the first grid point after a start time off the grid", () => {
    const startTime = d("2025-01-01T12:00:20Z");
    expect(firstFireTime(interval(60_000, 0, { startTime }), d("2025-01-01T00:00:00Z"))).toEqual(d("2025-01-01T12:01:00Z"));
    expect(iso(upcomingFireTimes(cron("*/30 * * * *", "UTC", { startTime }), d("2025-01-01T00:00:00Z"), 2))).toEqual([
      "2025-01-01T12:30:00.000Z",
      "2025-01-01T13:00:00.000Z",
    ]);
  });

  it("fires at the end time but never after it", () => {
    const endTime = d("2025-01-01T00:03:00Z");
    const s = interval(60_000, 0, { endTime });
    expect(iso(upcomingFireTimes(s, d("2025-01-01T00:00:30Z"), 10))).toEqual([
      "2025-01-01T00:01:00.000Z",
      "2025-01-01T00:02:00.000Z",
      "2025-01-01T00:03:00.000Z",
    ]);
    expect(nextFireTime(s, endTime)).toBeUndefined();
    expect(firstFireTime(cron("0 * * * *", "UTC", { endTime: d("2025-01-01T00:59:59Z") }), d("2025-01-01T00:00:01Z"))).toBeUndefined();
  });
});

describe("firstFireTime", () => {
  it("returns a once schedule's time even when it is in the past", () => {
    const at = d("2020-01-01T00:00:00Z");
    expect(firstFireTime({ ...common, kind: "once", at }, d("2025-01-01T00:00:00Z"))).toEqual(at);
  });

  it("returns nothing for a manual schedule", () => {
    expect(firstFireTime({ ...common, kind: "manual" }, d("2025-01-01T00:00:00Z"))).toBeUndefined();
  });

  it("includes a cron fire exactly at creation time, but not one a millisecond earlier", () => {
    expect(firstFireTime(cron("0 * * * *"), d("2025-01-01T05:00:00.000Z"))).toEqual(d("2025-01-01T05:00:00Z"));
    expect(firstFireTime(cron("0 * * * *"), d("2025-01-01T05:00:00.001Z"))).toEqual(d("2025-01-01T06:00:00Z"));
  });
});

describe("upcomingFireTimes", () => {
  it("returns exactly `count` times, each strictly after `after`", () => {
    const after = d("2025-01-01T00:01:00Z");
    const times = upcomingFireTimes(interval(60_000), after, 4);
    expect(iso(times)).toEqual([
      "2025-01-01T00:02:00.000Z",
      "2025-01-01T00:03:00.000Z",
      "2025-01-01T00:04:00.000Z",
      "2025-01-01T00:05:00.000Z",
    ]);
  });

  it("returns a once time only while it is strictly in the future", () => {
    const at = d("2025-01-01T00:00:00Z");
    const once: Schedule = { ...common, kind: "once", at };
    expect(upcomingFireTimes(once, d("2024-12-31T23:59:59Z"), 5)).toEqual([at]);
    expect(upcomingFireTimes(once, at, 5)).toEqual([]);
  });

  it("returns nothing for a manual schedule or a count of 0", () => {
    expect(upcomingFireTimes({ ...common, kind: "manual" }, d("2025-01-01T00:00:00Z"), 5)).toEqual([]);
    expect(upcomingFireTimes(interval(60_000), d("2025-01-01T00:00:00Z"), 0)).toEqual([]);
  });
});

describe("latestFireTimes", () => {
  it("returns the fires in (after, until], oldest first", () => {
    const times = latestFireTimes(interval(60_000), d("2025-01-01T00:01:00Z"), d("2025-01-01T00:04:00Z"), 100);
    expect(iso(times)).toEqual(["2025-01-01T00:02:00.000Z", "2025-01-01T00:03:00.000Z", "2025-01-01T00:04:00.000Z"]);
  });

  it("stops at `limit`, keeping the most recent", () => {
    const times = latestFireTimes(cron("0 * * * *"), d("2025-01-01T00:00:00Z"), d("2025-01-02T00:00:00Z"), 2);
    expect(iso(times)).toEqual(["2025-01-01T23:00:00.000Z", "2025-01-02T00:00:00.000Z"]);
  });

  it("follows a cron schedule's time zone backwards across a DST change", () => {
    const times = latestFireTimes(cron("0 9 * * *", "Europe/Berlin"), d("2025-03-28T00:00:00Z"), d("2025-03-31T12:00:00Z"), 10);
    expect(iso(times)).toEqual([
      "2025-03-28T08:00:00.000Z",
      "2025-03-29T08:00:00.000Z",
      "2025-03-30T07:00:00.000Z",
      "2025-03-31T07:00:00.000Z",
    ]);
  });

  it("does not go before the schedule's start time", () => {
    const start = d("2025-01-01T00:02:30Z");
    const times = latestFireTimes(interval(60_000, 0, { startTime: start }), d("2025-01-01T00:00:00Z"), d("2025-01-01T00:05:00Z"), 100);
    expect(iso(times)).toEqual(["2025-01-01T00:03:00.000Z", "2025-01-01T00:04:00.000Z", "2025-01-01T00:05:00.000Z"]);
  });

  it("returns nothing for an empty range", () => {
    expect(latestFireTimes(interval(60_000), d("2025-01-01T00:01:00Z"), d("2025-01-01T00:01:59Z"), 100)).toEqual([]);
  });
});

describe("checkedSchedule's match expression", () => {
  const matchOf = (expression: string) => (checkedSchedule(cron(expression)) as { matchExpression?: string }).matchExpression;

  it("is one for every spelling of a schedule", () => {
    expect(matchOf("0 9 * * MON-FRI")).toBe(matchOf("0 0 9 * * 1-5"));
    expect(matchOf("5 3/15 * * * *")).toBe(matchOf("5 3,18,33,48 * * * *"));
    expect(matchOf("0 0 0-5,6-23 * * *")).toBe(matchOf("0 0 * * * *"));
    expect(matchOf("0 0 * * 7")).toBe(matchOf("0 0 * * SUN"));
    expect(matchOf("0 0 * * *")).not.toBe(matchOf("0 1 * * *"));
  });

  it("fires exactly as the expression it was read from, across DST", () => {
    const expressions = ["0 9 * * MON-FRI", "30 2 * * *", "*/15 * * * *", "0 0 L * *", "0 0 * * 5#2", "0 0 * * 1L", "0 0 1,15 * 1-5", "0 0 1-7 * 1", "*/7 */11 */5 * * *", "@weekly", "0 30 1-3 * 3,10 *"];
    for (const zone of ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]) {
      for (const expression of expressions) {
        const stored = checkedSchedule(cron(expression, zone));
        const asGiven = cron(expression, zone);
        const after = d("2025-03-01T00:00:00Z");
        expect(upcomingFireTimes(stored, after, 60), `${expression} in ${zone}`).toEqual(upcomingFireTimes(asGiven, after, 60));
      }
    }
  });
});

describe("checkedSchedule", () => {
  const rejection = (s: Schedule) => {
    try {
      checkedSchedule(s);
    } catch (e) {
      return e;
    }
    throw new Error("checkedSchedule accepted the schedule");
  };

  it("accepts valid schedules", () => {
    expect(() => checkedSchedule(cron("0 9 * * MON-FRI", "Europe/Berlin"))).not.toThrow();
    expect(() => checkedSchedule(cron("*/2 * * * * *"))).not.toThrow();
    expect(() => checkedSchedule(cron("@weekly"))).not.toThrow();
    expect(() => checkedSchedule(interval(1_000, 0, { startTime: d("2025-01-01T00:00:00Z"), endTime: d("2025-01-01T00:00:00Z") }))).not.toThrow();
  });

  it("rejects an invalid cron expression, naming the expression field", () => {
    const e = rejection(cron("61 * * * *"));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toMatch(/^schedule\.cron\.expression: "61 \* \* \* \*" is not a valid cron expression/);
  });

  it("rejects 7 fields and 4 fields by count", () => {
    const seven = rejection(cron("0 0 9 * * * 2025"));
    expect(seven).toBeInstanceOf(InvalidArgumentError);
    expect((seven as Error).message).toContain('schedule.cron.expression: "0 0 9 * * * 2025" has 7 fields');
    expect((rejection(cron("0 9 * *")) as Error).message).toContain("has 4 fields");
  });

  it("rejects an unknown time zone, naming the time zone field", () => {
    const e = rejection(cron("0 9 * * *", "Mars/Olympus"));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe('schedule.cron.time_zone: "Mars/Olympus" is not an IANA time zone');
  });

  it("stores a time zone under its IANA name", () => {
    expect((checkedSchedule(cron("0 9 * * *", "europe/berlin")) as { timeZone: string }).timeZone).toBe("Europe/Berlin");
  });

  it("rejects jitter on a one-time or manual schedule, naming the jitter field", () => {
    for (const s of [{ ...common, kind: "once", at: new Date(0), jitterMs: 1_000 }, { ...common, kind: "manual", jitterMs: 1_000 }] as const) {
      const e = rejection(s);
      expect(e).toBeInstanceOf(InvalidArgumentError);
      expect((e as Error).message).toBe("schedule.jitter: only cron and interval schedules take jitter");
    }
    expect(() => checkedSchedule({ ...interval(60_000), jitterMs: 1_000 })).not.toThrow();
  });

  it("rejects an end time before the start time", () => {
    const e = rejection(interval(60_000, 0, { startTime: d("2025-01-02T00:00:00Z"), endTime: d("2025-01-01T00:00:00Z") }));
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toBe("schedule.end_time: must not be before schedule.start_time");
  });
});

describe("missedFires", () => {
  it("lists the fires after a time until another, within the schedule's end bound", () => {
    const hourly = interval(3_600_000, 0, { endTime: d("2026-01-01T00:00:00Z") });
    expect(iso(missedFires(hourly, d("2025-12-31T21:00:00Z"), d("2026-01-01T03:30:00Z")).times)).toEqual([
      "2025-12-31T22:00:00.000Z",
      "2025-12-31T23:00:00.000Z",
      "2026-01-01T00:00:00.000Z",
    ]);
  });

  it("keeps the latest 1,000 and says which were not recorded", () => {
    const { times, unrecordedNote } = missedFires(interval(1_000), d("2025-01-01T11:40:00Z"), d("2025-01-01T12:00:00.500Z"));
    expect([times.length, times[0]!.toISOString(), times.at(-1)!.toISOString()]).toEqual([1_000, "2025-01-01T11:43:21.000Z", "2025-01-01T12:00:00.000Z"]);
    expect(unrecordedNote).toBe(
      "the fires after 2025-01-01T11:40:00.000Z and before 2025-01-01T11:43:21.000Z were missed too, not recorded one by one (only the latest 1000 are)",
    );
    expect(missedFires(interval(1_000), d("2025-01-01T11:43:20Z"), d("2025-01-01T12:00:00.500Z")).unrecordedNote).toBeUndefined();
  });
});

describe("isFireTime", () => {
  it("is true exactly at the schedule's fire times, within its bounds", () => {
    expect(isFireTime(cron("*/15 * * * *", "Europe/Berlin"), d("2025-01-01T10:15:00Z"))).toBe(true);
    expect(isFireTime(cron("*/15 * * * *", "Europe/Berlin"), d("2025-01-01T10:15:00.001Z"))).toBe(false);
    expect(isFireTime(interval(1_000, 500), d("2025-01-01T10:15:00.500Z"))).toBe(true);
    expect(isFireTime(interval(1_000, 500, { endTime: d("2025-01-01T00:00:00Z") }), d("2025-01-01T10:15:00.500Z"))).toBe(false);
    expect(isFireTime({ ...common, kind: "once", at: d("2025-01-01T10:15:00Z") }, d("2025-01-01T10:15:00Z"))).toBe(true);
    expect(isFireTime({ ...common, kind: "manual" }, d("2025-01-01T10:15:00Z"))).toBe(false);
  });
});

describe("isRecurring", () => {
  it("is true for cron and interval only", () => {
    expect(isRecurring(cron("* * * * *"))).toBe(true);
    expect(isRecurring(interval(1_000))).toBe(true);
    expect(isRecurring({ ...common, kind: "once", at: new Date(0) })).toBe(false);
    expect(isRecurring({ ...common, kind: "manual" })).toBe(false);
  });
});
