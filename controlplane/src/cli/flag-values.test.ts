import { describe, expect, it } from "vitest";
import { OverlapPolicy } from "@taskplane/sdk";
import { UsageError } from "./exit-codes.js";
import { enumNames, parseDuration, parseEnum, parseLabels, parseTime } from "./flag-values.js";

describe("flag values", () => {
  it("reads durations in units and combinations, bare numbers in the given unit", () => {
    expect(parseDuration("--in", "10m")).toBe(600_000);
    expect(parseDuration("--in", "1h30m")).toBe(5_400_000);
    expect(parseDuration("--in", "500ms")).toBe(500);
    expect(parseDuration("--ttl", "90")).toBe(90_000);
    expect(parseDuration("--ttl", "1.5s")).toBe(1_500);
    for (const bad of ["", "soon", "10 m", "m10", "10m-", "-", "-soon"]) expect(() => parseDuration("--in", bad), bad).toThrow(/is not a duration such as 30s/);
    for (const negative of ["-5s", " -1h30m", "-90"]) expect(() => parseDuration("--jitter", negative), negative).toThrow(/^--jitter: ".*" is negative; a duration must not be negative$/);
    expect(() => parseDuration("--jitter", "-5s")).toThrow(UsageError);
  });

  it("reads ISO times as UTC unless they carry an offset", () => {
    expect(parseTime("--at", "2026-12-01").toISOString()).toBe("2026-12-01T00:00:00.000Z");
    expect(parseTime("--at", "2026-12-01T09:00").toISOString()).toBe("2026-12-01T09:00:00.000Z");
    expect(parseTime("--at", "2026-12-01T09:00:00+01:00").toISOString()).toBe("2026-12-01T08:00:00.000Z");
    expect(() => parseTime("--at", "tomorrow")).toThrow(/--at: "tomorrow" is not an ISO 8601 time/);
    expect(() => parseTime("--at", "2026-13-45")).toThrow(UsageError);
  });

  it("reads labels and enum names", () => {
    expect(parseLabels("--label", ["team=growth", "url=a=b"])).toEqual({ team: "growth", url: "a=b" });
    expect(() => parseLabels("--label", ["=x"])).toThrow(/not key=value/);
    expect(enumNames(OverlapPolicy)).toEqual(["skip", "allow", "cancel-previous"]);
    expect(parseEnum("--overlap", "cancel-previous", OverlapPolicy)).toBe(OverlapPolicy.CANCEL_PREVIOUS);
    expect(() => parseEnum("--overlap", "unspecified", OverlapPolicy)).toThrow(/not one of skip, allow, cancel-previous/);
  });
});
