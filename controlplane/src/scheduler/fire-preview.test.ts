import { describe, expect, it } from "vitest";
import { previewFires } from "./fire-preview.js";
import type { Schedule } from "../domain/model.js";

const berlin = (expression: string): Schedule => ({
  kind: "cron",
  expression,
  timeZone: "Europe/Berlin",
  onMissingTime: "RUN_AT_NEXT_VALID_TIME",
  onRepeatedTime: "RUN_ONCE_FIRST",
  overlap: "SKIP",
  catchUp: { mode: "ONE", windowMs: 3_600_000, maxRuns: 100 },
  jitterMs: 0,
});

describe("previewFires", () => {
  // Clocks jump from 02:00 to 03:00 on 2027-03-28 in Berlin.
  const gapNote = (expression: string) =>
    previewFires(berlin(expression), new Date("2027-03-28T00:30:00Z"), 1)[0]!.note;

  it("counts the other local times a spring-forward gap swallows, in the singular and the plural", () => {
    expect(gapNote("0 2 * * *")).toBe(
      "02:00 does not exist on 2027-03-28 in Europe/Berlin: clocks jump from 02:00 to 03:00; on_missing_time RUN_AT_NEXT_VALID_TIME: fires once at 03:00",
    );
    expect(gapNote("*/30 2 * * *")).toContain("02:00 (and 1 more local time in the gap) does not exist");
    expect(gapNote("*/15 2 * * *")).toContain("02:00 (and 3 more local times in the gap) does not exist");
  });
});
