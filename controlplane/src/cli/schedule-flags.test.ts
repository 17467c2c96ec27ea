import { describe, expect, it } from "vitest";
import { CatchUpMode, duration, MissingTimePolicy, schedules } from "@taskplane/sdk";
import { UsageError } from "./exit-codes.js";
import { scheduleFromFlags } from "./schedule-flags.js";

describe("schedule flags", () => {
  it("build the SDK's schedules", () => {
    expect(scheduleFromFlags({})).toBeUndefined();
    expect(scheduleFromFlags({ cron: "0 9 * * MON-FRI", tz: "Europe/Berlin", onMissingTime: "skip" })).toEqual(
      schedules.cron("0 9 * * MON-FRI", "Europe/Berlin", { onMissingTime: MissingTimePolicy.SKIP }),
    );
    expect(scheduleFromFlags({ every: "30s", jitter: "5s" })).toEqual(schedules.every(30_000, { jitterMs: 5_000 }));
    expect(scheduleFromFlags({ every: "1m", catchUp: "all", catchUpWindow: "6h", catchUpMax: "20" })).toEqual(
      schedules.every(60_000, { catchUp: { mode: CatchUpMode.ALL, window: duration(6 * 3_600_000), maxRuns: 20 } }),
    );
    expect(scheduleFromFlags({ cron: "0 * * * *", catchUp: "skip" })).toEqual(schedules.cron("0 * * * *", "UTC", { catchUp: { mode: CatchUpMode.SKIP } }));
    expect(scheduleFromFlags({ at: "2026-12-01T09:00:00Z" })).toEqual(schedules.at(new Date("2026-12-01T09:00:00Z")));
    expect(scheduleFromFlags({ in: "10m" })).toEqual(schedules.after(600_000));
    expect(scheduleFromFlags({ now: true })).toEqual(schedules.after(0));
  });

  it("refuse two schedules, and options that do not fit the kind", () => {
    expect(() => scheduleFromFlags({ cron: "* * * * *", every: "1m" })).toThrow(/--cron and --every were both given/);
    expect(() => scheduleFromFlags({ at: "2026-12-01", tz: "UTC" })).toThrow(/--tz goes with --cron/);
    expect(() => scheduleFromFlags({ in: "1m", jitter: "1s" })).toThrow(/--jitter goes with --cron or --every/);
    expect(() => scheduleFromFlags({ every: "1m", onRepeatedTime: "run-both" })).toThrow(/--on-repeated-time goes with --cron/);
    expect(() => scheduleFromFlags({ every: "often" })).toThrow(UsageError);
    expect(() => scheduleFromFlags({ in: "1m", catchUp: "one" })).toThrow(/--catch-up goes with --cron or --every/);
    expect(() => scheduleFromFlags({ every: "1m", catchUpMax: "5" })).toThrow(/--catch-up-max goes with --catch-up all/);
    expect(() => scheduleFromFlags({ every: "1m", catchUp: "all", catchUpMax: "20000" })).toThrow(UsageError);
  });
});
