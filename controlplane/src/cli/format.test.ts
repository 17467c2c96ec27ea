import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { FireTimeSchema } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { describeFires, truncate } from "./format.js";

describe("truncate", () => {
  it("keeps short text, cuts long text at a word with an ellipsis, and puts it on one line", () => {
    expect(truncate("task paused", 64)).toBe("task paused");
    expect(truncate("", 64)).toBe("-");
    const cut = truncate("missed while the scheduler was down; the catch-up policy ran a later fire instead", 64);
    expect(cut).toBe("missed while the scheduler was down; the catch-up policy ran a…");
    expect(cut.length).toBeLessThanOrEqual(64);
    expect(truncate("two\nlines", 64)).toBe("two lines");
    expect(truncate("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
  });
});

describe("describeFires", () => {
  const at = (iso: string) => timestampFromDate(new Date(iso));

  it("puts a fire a line, with its due time only when jitter moves it, and skipped ones marked before their note", () => {
    const fires = [
      create(FireTimeSchema, { time: at("2026-10-25T00:30:00Z"), localTime: "2026-10-25T02:30:00+02:00", skipped: true, note: "02:30 occurs twice …: no fire" }),
      create(FireTimeSchema, { time: at("2026-10-25T01:30:00Z"), localTime: "2026-10-25T02:30:00+01:00", dueTime: at("2026-10-25T01:30:00Z") }),
      create(FireTimeSchema, { time: at("2026-10-26T01:30:00Z"), localTime: "2026-10-26T02:30:00+01:00", dueTime: at("2026-10-26T01:32:05.250Z") }),
    ];
    expect(describeFires(fires)).toBe(
      [
        "",
        "  2026-10-25T00:30:00Z  2026-10-25T02:30:00+02:00  skipped: 02:30 occurs twice …: no fire",
        "  2026-10-25T01:30:00Z  2026-10-25T02:30:00+01:00",
        "  2026-10-26T01:30:00Z  2026-10-26T02:30:00+01:00  due 2026-10-26T01:32:05.250Z",
      ].join("\n"),
    );
    expect(describeFires([])).toBe("-");
  });
});
