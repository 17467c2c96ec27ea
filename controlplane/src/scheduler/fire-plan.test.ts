// The fate of due runs: queued, skipped or cancelled, and which next fire each schedule gets.
import { describe, expect, it } from "vitest";
import type { CatchUpPolicy, Schedule } from "../domain/model.js";
import type { DueRun, FirePlan } from "../store/store.js";
import { decidedAhead, emptyPlan, mergePlans, needsOverlapCheck, planFires, planSize, readAhead, settledAhead } from "./fire-plan.js";

const MISFIRE_MS = 5_000;
const d = (iso: string) => new Date(iso);

const everyMinute = (overrides: Partial<Schedule> = {}): Schedule =>
  ({
    kind: "interval",
    everyMs: 60_000,
    offsetMs: 0,
    overlap: "SKIP",
    catchUp: { mode: "ONE", windowMs: 3_600_000, maxRuns: 100 },
    jitterMs: 0,
    ...overrides,
  }) as Schedule;

const catchUp = (policy: Partial<CatchUpPolicy>): Schedule =>
  everyMinute({ catchUp: { mode: "ONE", windowMs: 3_600_000, maxRuns: 100, ...policy } });

function due(overrides: Partial<DueRun> = {}): DueRun {
  const scheduledTime = overrides.scheduledTime ?? d("2025-01-01T12:00:00Z");
  return {
    id: "run-1",
    taskId: "task-1",
    namespace: "default",
    queue: "q",
    taskType: "tick",
    priority: "HIGH",
    dueTime: scheduledTime,
    state: "SCHEDULED",
    trigger: "SCHEDULE",
    scheduledTime,
    maxAttempts: 4,
    taskState: "ACTIVE",
    schedule: everyMinute(),
    ...overrides,
  };
}

const plan = (runs: DueRun[], now: string, busy: string[] = []) => planFires(runs, new Set(busy), d(now), { misfireMs: MISFIRE_MS });

/** plan.next as [scheduled time, state, reason], in order. */
const nextFires = (p: FirePlan) => p.next.map((r) => [r.scheduledTime.toISOString(), r.state ?? "SCHEDULED", r.reason]);

function expectUniqueNextTimes(p: FirePlan): void {
  const keys = p.next.map((r) => `${r.taskId}@${r.scheduledTime.getTime()}`);
  expect(new Set(keys).size).toBe(keys.length);
}

const SKIP_REASON = "missed while the scheduler was down (catch-up policy SKIP)";
const LATER_REASON = "missed while the scheduler was down; the catch-up policy ran a later fire instead";
const WINDOW_REASON = "missed while the scheduler was down, before the catch-up window";
const OVERLAP_REASON = "the previous run was still running (overlap policy SKIP)";

describe("planFires: one-time and on-time fires", () => {
  it("queues a one-time run and marks its task completed", () => {
    const at = d("2025-01-01T12:00:00Z");
    const p = plan([due({ schedule: { kind: "once", at, overlap: "SKIP", catchUp: everyMinute().catchUp, jitterMs: 0 } })], "2025-01-01T12:00:00.010Z");
    expect(p).toEqual({ queue: ["run-1"], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [{ taskId: "task-1", completed: true }] });
  });

  it("queues a late one-time run too: catch-up is for recurring schedules only", () => {
    const at = d("2025-01-01T10:00:00Z");
    const p = plan([due({ scheduledTime: at, schedule: { kind: "once", at, overlap: "SKIP", catchUp: everyMinute().catchUp, jitterMs: 0 } })], "2025-01-01T12:00:00Z");
    expect(p.queue).toEqual(["run-1"]);
    expect(p.skip).toEqual([]);
    expect(p.tasks).toEqual([{ taskId: "task-1", completed: true }]);
  });

  it("queues an on-time recurring run and plans the next fire with the run's dispatch fields", () => {
    const p = plan([due()], "2025-01-01T12:00:00.050Z");
    expect(p.queue).toEqual(["run-1"]);
    expect(p.skip).toEqual([]);
    expect(p.next).toEqual([
      {
        id: expect.any(String),
        namespace: "default",
        taskId: "task-1",
        taskType: "tick",
        queue: "q",
        priority: "HIGH",
        trigger: "SCHEDULE",
        scheduledTime: d("2025-01-01T12:01:00Z"),
        maxAttempts: 4,
      },
    ]);
    expect(p.next[0]!.id).not.toBe("run-1");
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: d("2025-01-01T12:01:00Z"), completed: false }]);
  });

  it("plans a cron run's next fire across a DST change", () => {
    const schedule = { ...everyMinute(), kind: "cron", expression: "0 9 * * *", timeZone: "Europe/Berlin" } as Schedule;
    const p = plan([due({ schedule, scheduledTime: d("2025-03-29T08:00:00Z") })], "2025-03-29T08:00:00.100Z");
    expect(p.queue).toEqual(["run-1"]);
    expect(nextFires(p)).toEqual([["2025-03-30T07:00:00.000Z", "SCHEDULED", undefined]]);
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: d("2025-03-30T07:00:00Z"), completed: false }]);
  });

  it("completes the task when the schedule's end time allows no next fire", () => {
    const p = plan([due({ schedule: everyMinute({ endTime: d("2025-01-01T12:00:30Z") }) })], "2025-01-01T12:00:00.050Z");
    expect(p.queue).toEqual(["run-1"]);
    expect(p.next).toEqual([]);
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: undefined, completed: true }]);
  });

  it("treats a fire exactly misfireMs late as on time, and one a millisecond later as missed", () => {
    const schedule = catchUp({ mode: "SKIP" });
    expect(plan([due({ schedule })], "2025-01-01T12:00:05.000Z").queue).toEqual(["run-1"]);
    const late = plan([due({ schedule })], "2025-01-01T12:00:05.001Z");
    expect(late.queue).toEqual([]);
    expect(late.skip).toEqual([{ runId: "run-1", reason: SKIP_REASON }]);
  });

  it("plans each run of a batch independently", () => {
    const p = plan(
      [due({ id: "a", taskId: "t-a" }), due({ id: "b", taskId: "t-b", schedule: everyMinute({ everyMs: 30_000 }) })],
      "2025-01-01T12:00:00.010Z",
    );
    expect(p.queue).toEqual(["a", "b"]);
    expect(p.next.map((r) => [r.taskId, r.scheduledTime.toISOString()])).toEqual([
      ["t-a", "2025-01-01T12:01:00.000Z"],
      ["t-b", "2025-01-01T12:00:30.000Z"],
    ]);
  });
});

describe("planFires: overlap policies", () => {
  const now = "2025-01-01T12:00:00.010Z";

  it("SKIP: skips the fire while the task is busy, and still plans the next", () => {
    const p = plan([due()], now, ["task-1"]);
    expect(p.queue).toEqual([]);
    expect(p.skip).toEqual([{ runId: "run-1", reason: OVERLAP_REASON }]);
    expect(p.cancelPrevious).toEqual([]);
    expect(nextFires(p)).toEqual([["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined]]);
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: d("2025-01-01T12:01:00Z"), completed: false }]);
  });

  it("SKIP: queues when another task is busy", () => {
    expect(plan([due()], now, ["task-2"]).queue).toEqual(["run-1"]);
  });

  it("CANCEL_PREVIOUS: cancels the task's active runs and queues the fire", () => {
    const p = plan([due({ schedule: everyMinute({ overlap: "CANCEL_PREVIOUS" }) })], now, ["task-1"]);
    expect(p.cancelPrevious).toEqual([{ taskId: "task-1", keepRunId: "run-1" }]);
    expect(p.queue).toEqual(["run-1"]);
    expect(p.skip).toEqual([]);
    expect(nextFires(p)).toEqual([["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined]]);
  });

  it("CANCEL_PREVIOUS: cancels nothing when the task is idle", () => {
    const p = plan([due({ schedule: everyMinute({ overlap: "CANCEL_PREVIOUS" }) })], now);
    expect(p.cancelPrevious).toEqual([]);
    expect(p.queue).toEqual(["run-1"]);
  });

  it("ALLOW: queues even while the task is busy", () => {
    const p = plan([due({ schedule: everyMinute({ overlap: "ALLOW" }) })], now, ["task-1"]);
    expect(p.queue).toEqual(["run-1"]);
    expect(p.skip).toEqual([]);
    expect(p.cancelPrevious).toEqual([]);
  });
});

describe("planFires: task state, retries and manual runs", () => {
  const now = "2025-01-01T12:00:00.010Z";

  it("skips a paused task's fire and plans no next", () => {
    const p = plan([due({ taskState: "PAUSED" })], now);
    expect(p).toEqual({ queue: [], skip: [{ runId: "run-1", reason: "task paused" }], cancel: [], cancelPrevious: [], next: [], tasks: [] });
  });

  it("cancels runs of a deleted or cancelled task, whatever the run", () => {
    expect(plan([due({ taskState: "DELETED" })], now).cancel).toEqual([{ runId: "run-1", reason: "task deleted" }]);
    const p = plan([due({ taskState: "CANCELLED", state: "RETRYING" }), due({ id: "run-2", taskState: "CANCELLED", trigger: "MANUAL" })], now);
    expect(p).toEqual({
      queue: [],
      skip: [],
      cancel: [
        { runId: "run-1", reason: "task cancelled" },
        { runId: "run-2", reason: "task cancelled" },
      ],
      cancelPrevious: [],
      next: [],
      tasks: [],
    });
  });

  it("queues a RETRYING run without planning a next fire, even long after its scheduled time", () => {
    const p = plan([due({ state: "RETRYING", scheduledTime: d("2025-01-01T11:00:00Z"), dueTime: d("2025-01-01T12:00:00Z") })], now, ["task-1"]);
    expect(p).toEqual({ queue: ["run-1"], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [] });
  });

  it("queues a MANUAL run without planning a next fire", () => {
    const p = plan([due({ trigger: "MANUAL", scheduledTime: d("2025-01-01T11:00:00Z") })], now, ["task-1"]);
    expect(p).toEqual({ queue: ["run-1"], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [] });
  });
});

describe("planFires: backfills and jitter", () => {
  const now = "2025-01-01T12:00:00.010Z";
  const backfill = (id: string, overlap?: "ALLOW" | "SKIP") =>
    due({ id, trigger: "BACKFILL", scheduledTime: d("2025-01-01T03:00:00Z"), dueTime: d(now), overlap, taskState: "PAUSED" });

  it("queues backfilled runs of a paused task, long after their scheduled time, planning no next fire", () => {
    const p = plan([backfill("run-1", "ALLOW"), backfill("run-2", "ALLOW")], now, ["task-1"]);
    expect(p).toEqual({ queue: ["run-1", "run-2"], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [] });
  });

  it("with overlap SKIP queues the first backfilled run of a task and skips the rest of the batch", () => {
    const p = plan([backfill("run-1", "SKIP"), backfill("run-2", "SKIP")], now);
    expect(p.queue).toEqual(["run-1"]);
    expect(p.skip).toEqual([{ runId: "run-2", reason: "the previous run was still running (overlap policy SKIP)" }]);
    expect(needsOverlapCheck(backfill("run-1", "SKIP"))).toBe(true);
    expect(settledAhead(backfill("run-1", "SKIP"))).toBe(false);
    expect(settledAhead(backfill("run-1", "ALLOW"))).toBe(true);
  });

  it("judges a jittered fire late from its due time, not its scheduled time", () => {
    const jittered = due({ scheduledTime: d("2025-01-01T11:59:50Z"), dueTime: d("2025-01-01T12:00:00Z") });
    expect(plan([jittered], now).queue).toEqual(["run-1"]);
  });

  it("gives the next fire its jitter", () => {
    const p = plan([due({ schedule: everyMinute({ jitterMs: 30_000 }) })], now);
    const next = p.next[0]!;
    expect(next.scheduledTime).toEqual(d("2025-01-01T12:01:00Z"));
    const offset = next.dueTime!.getTime() - next.scheduledTime.getTime();
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(offset).toBeLessThan(30_000);
  });
});

describe("planFires: missed fires (catch-up)", () => {
  // Down from 11:55 to 12:00:30: fires 11:55 (the existing run), 11:56, 11:57, 11:58, 11:59, 12:00 were missed.
  const scheduledTime = d("2025-01-01T11:55:00Z");
  const now = "2025-01-01T12:00:30Z";

  it("SKIP: records every missed fire SKIPPED, queues nothing, and continues after now", () => {
    const p = plan([due({ scheduledTime, schedule: catchUp({ mode: "SKIP" }) })], now);
    expect(p.queue).toEqual([]);
    expect(p.skip).toEqual([{ runId: "run-1", reason: SKIP_REASON }]);
    expect(nextFires(p)).toEqual([
      ["2025-01-01T11:56:00.000Z", "SKIPPED", SKIP_REASON],
      ["2025-01-01T11:57:00.000Z", "SKIPPED", SKIP_REASON],
      ["2025-01-01T11:58:00.000Z", "SKIPPED", SKIP_REASON],
      ["2025-01-01T11:59:00.000Z", "SKIPPED", SKIP_REASON],
      ["2025-01-01T12:00:00.000Z", "SKIPPED", SKIP_REASON],
      ["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined],
    ]);
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: d("2025-01-01T12:01:00Z"), completed: false }]);
    expectUniqueNextTimes(p);
  });

  it("ONE: runs only the latest missed fire as a new QUEUED run and skips the rest", () => {
    const p = plan([due({ scheduledTime, schedule: catchUp({ mode: "ONE" }) })], now);
    expect(p.queue).toEqual([]);
    expect(p.skip).toEqual([{ runId: "run-1", reason: LATER_REASON }]);
    expect(nextFires(p)).toEqual([
      ["2025-01-01T11:56:00.000Z", "SKIPPED", LATER_REASON],
      ["2025-01-01T11:57:00.000Z", "SKIPPED", LATER_REASON],
      ["2025-01-01T11:58:00.000Z", "SKIPPED", LATER_REASON],
      ["2025-01-01T11:59:00.000Z", "SKIPPED", LATER_REASON],
      ["2025-01-01T12:00:00.000Z", "QUEUED", undefined],
      ["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined],
    ]);
    expect(p.next.every((r) => r.taskId === "task-1" && r.trigger === "SCHEDULE" && r.maxAttempts === 4)).toBe(true);
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: d("2025-01-01T12:01:00Z"), completed: false }]);
    expectUniqueNextTimes(p);
  });

  it("ONE: queues the existing run when it is the only missed fire", () => {
    const p = plan([due({ scheduledTime: d("2025-01-01T12:00:00Z"), schedule: catchUp({ mode: "ONE" }) })], now);
    expect(p.queue).toEqual(["run-1"]);
    expect(p.skip).toEqual([]);
    expect(nextFires(p)).toEqual([["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined]]);
  });

  it("ALL: runs the most recent maxRuns missed fires and skips the older ones", () => {
    const p = plan([due({ scheduledTime, schedule: catchUp({ mode: "ALL", maxRuns: 2 }) })], now);
    expect(p.queue).toEqual([]);
    expect(p.skip).toEqual([{ runId: "run-1", reason: LATER_REASON }]);
    expect(nextFires(p)).toEqual([
      ["2025-01-01T11:56:00.000Z", "SKIPPED", LATER_REASON],
      ["2025-01-01T11:57:00.000Z", "SKIPPED", LATER_REASON],
      ["2025-01-01T11:58:00.000Z", "SKIPPED", LATER_REASON],
      ["2025-01-01T11:59:00.000Z", "QUEUED", undefined],
      ["2025-01-01T12:00:00.000Z", "QUEUED", undefined],
      ["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined],
    ]);
    expectUniqueNextTimes(p);
  });

  it("ALL: runs every missed fire, the existing one included, when maxRuns allows", () => {
    const p = plan([due({ scheduledTime, schedule: catchUp({ mode: "ALL", maxRuns: 100 }) })], now);
    expect(p.queue).toEqual(["run-1"]);
    expect(p.skip).toEqual([]);
    expect(nextFires(p)).toEqual([
      ["2025-01-01T11:56:00.000Z", "QUEUED", undefined],
      ["2025-01-01T11:57:00.000Z", "QUEUED", undefined],
      ["2025-01-01T11:58:00.000Z", "QUEUED", undefined],
      ["2025-01-01T11:59:00.000Z", "QUEUED", undefined],
      ["2025-01-01T12:00:00.000Z", "QUEUED", undefined],
      ["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined],
    ]);
    expectUniqueNextTimes(p);
  });

  it("ALL: runs the fires within the catch-up window and records those before it SKIPPED, with that reason", () => {
    // Window of 2.5 minutes before 12:00:30 starts at 11:58:00 exactly: 11:58 is inside it.
    const p = plan([due({ scheduledTime, schedule: catchUp({ mode: "ALL", windowMs: 150_000 }) })], now);
    expect(p.queue).toEqual([]);
    expect(p.skip).toEqual([{ runId: "run-1", reason: WINDOW_REASON }]);
    expect(nextFires(p)).toEqual([
      ["2025-01-01T11:56:00.000Z", "SKIPPED", WINDOW_REASON],
      ["2025-01-01T11:57:00.000Z", "SKIPPED", WINDOW_REASON],
      ["2025-01-01T11:58:00.000Z", "QUEUED", undefined],
      ["2025-01-01T11:59:00.000Z", "QUEUED", undefined],
      ["2025-01-01T12:00:00.000Z", "QUEUED", undefined],
      ["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined],
    ]);
    expectUniqueNextTimes(p);
  });

  it("ONE: runs nothing when every missed fire is older than the window, and records each SKIPPED", () => {
    const p = plan([due({ scheduledTime, schedule: catchUp({ mode: "ONE", windowMs: 10_000 }) })], now);
    expect(p.queue).toEqual([]);
    expect(p.skip).toEqual([{ runId: "run-1", reason: WINDOW_REASON }]);
    expect(nextFires(p)).toEqual([
      ...["11:56", "11:57", "11:58", "11:59", "12:00"].map((t) => [`2025-01-01T${t}:00.000Z`, "SKIPPED", WINDOW_REASON]),
      ["2025-01-01T12:01:00.000Z", "SCHEDULED", undefined],
    ]);
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: d("2025-01-01T12:01:00Z"), completed: false }]);
  });

  // Every second, down from 11:40:00 to 12:00:00.5: 1,200 missed fires.
  it("ONE: runs the most recent of more than 1,000 missed fires, records the latest 1,000, and says so on the first", () => {
    const schedule = everyMinute({ everyMs: 1_000, catchUp: { mode: "ONE", windowMs: 3_600_000, maxRuns: 100 } });
    const p = plan([due({ scheduledTime: d("2025-01-01T11:40:00Z"), schedule })], "2025-01-01T12:00:00.500Z");
    const queued = p.next.filter((r) => r.state === "QUEUED").map((r) => r.scheduledTime.toISOString());
    expect(queued).toEqual(["2025-01-01T12:00:00.000Z"]);
    const skipped = p.next.filter((r) => r.state === "SKIPPED").map((r) => r.scheduledTime.toISOString());
    expect([skipped.length, skipped[0]]).toEqual([999, "2025-01-01T11:43:21.000Z"]);
    expect(p.skip).toEqual([
      {
        runId: "run-1",
        reason:
          "missed while the scheduler was down; the catch-up policy ran a later fire instead; the fires after " +
          "2025-01-01T11:40:00.000Z and before 2025-01-01T11:43:21.000Z were missed too, not recorded one by one (only the latest 1000 are)",
      },
    ]);
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: d("2025-01-01T12:00:01Z"), completed: false }]);
    expectUniqueNextTimes(p);
  });

  it("stops at the schedule's end time: no missed fire after it, and the task completes", () => {
    const schedule = everyMinute({ endTime: d("2025-01-01T11:57:00Z"), catchUp: { mode: "ALL", windowMs: 3_600_000, maxRuns: 100 } });
    const p = plan([due({ scheduledTime, schedule })], now);
    expect(p.queue).toEqual(["run-1"]);
    expect(nextFires(p)).toEqual([
      ["2025-01-01T11:56:00.000Z", "QUEUED", undefined],
      ["2025-01-01T11:57:00.000Z", "QUEUED", undefined],
    ]);
    expect(p.tasks).toEqual([{ taskId: "task-1", nextFireTime: undefined, completed: true }]);
  });
});

describe("needsOverlapCheck", () => {
  it("is needed for scheduled fires of recurring schedules with overlap SKIP or CANCEL_PREVIOUS", () => {
    expect(needsOverlapCheck(due())).toBe(true);
    expect(needsOverlapCheck(due({ schedule: everyMinute({ overlap: "CANCEL_PREVIOUS" }) }))).toBe(true);
  });

  it("is not needed with ALLOW, for one-time or manual schedules, retries or manual triggers", () => {
    expect(needsOverlapCheck(due({ schedule: everyMinute({ overlap: "ALLOW" }) }))).toBe(false);
    expect(needsOverlapCheck(due({ schedule: { kind: "once", at: new Date(0), overlap: "SKIP", catchUp: everyMinute().catchUp, jitterMs: 0 } }))).toBe(false);
    expect(needsOverlapCheck(due({ schedule: { kind: "manual", overlap: "SKIP", catchUp: everyMinute().catchUp, jitterMs: 0 } }))).toBe(false);
    expect(needsOverlapCheck(due({ state: "RETRYING" }))).toBe(false);
    expect(needsOverlapCheck(due({ trigger: "MANUAL" }))).toBe(false);
  });
});

describe("settledAhead", () => {
  const once = { kind: "once", at: new Date(0), overlap: "SKIP", catchUp: everyMinute().catchUp, jitterMs: 0 } as Schedule;

  it("holds for runs that will be queued whatever happens before they are due", () => {
    expect(settledAhead(due({ schedule: once }))).toBe(true);
    expect(settledAhead(due({ schedule: everyMinute({ overlap: "ALLOW" }) }))).toBe(true);
    expect(settledAhead(due({ state: "RETRYING" }))).toBe(true);
    expect(settledAhead(due({ trigger: "MANUAL", taskState: "PAUSED" }))).toBe(true);
  });

  it("does not hold where the fate depends on the state at the due time", () => {
    expect(settledAhead(due())).toBe(false); // overlap SKIP: depends on the previous run
    expect(settledAhead(due({ schedule: everyMinute({ overlap: "CANCEL_PREVIOUS" }) }))).toBe(false);
    expect(settledAhead(due({ schedule: once, taskState: "PAUSED" }))).toBe(false);
    expect(settledAhead(due({ state: "RETRYING", taskState: "CANCELLED" }))).toBe(false);
    expect(settledAhead(due({ trigger: "MANUAL", taskState: "DELETED" }))).toBe(false);
  });
});

describe("readAhead and decidedAhead", () => {
  it("reads on-time fires of active recurring schedules ahead, and decides them then if no earlier run is unfinished", () => {
    expect(readAhead(due())).toBe(true);
    expect(decidedAhead(due(), new Set())).toBe(true);
    expect(decidedAhead(due({ schedule: everyMinute({ overlap: "CANCEL_PREVIOUS" }) }), new Set())).toBe(true);
  });

  it("leaves a fire whose task is busy, paused or ended to its due time", () => {
    expect(decidedAhead(due(), new Set(["task-1"]))).toBe(false);
    expect(decidedAhead(due({ schedule: everyMinute({ overlap: "CANCEL_PREVIOUS" }) }), new Set(["task-1"]))).toBe(false);
    expect(readAhead(due({ taskState: "PAUSED" }))).toBe(false);
    expect(decidedAhead(due({ taskState: "PAUSED" }), new Set())).toBe(false);
    expect(decidedAhead(due({ taskState: "DELETED" }), new Set())).toBe(false);
  });

  it("reads backfilled fires that check overlap only at their due time", () => {
    expect(readAhead(due({ trigger: "BACKFILL" }))).toBe(false);
    expect(decidedAhead(due({ trigger: "BACKFILL" }), new Set())).toBe(false);
  });

  it("decides settled runs ahead whatever the busy tasks", () => {
    expect(decidedAhead(due({ state: "RETRYING" }), new Set(["task-1"]))).toBe(true);
  });
});

describe("mergePlans", () => {
  it("does what each plan does, and gives a task in two plans the later plan's next fire", () => {
    const first = planFires([due()], new Set(), d("2025-01-01T12:00:00Z"), { misfireMs: MISFIRE_MS });
    const second = planFires([due({ id: "run-2", taskId: "task-2" })], new Set(), d("2025-01-01T12:00:00Z"), { misfireMs: MISFIRE_MS });
    const later: FirePlan = { ...emptyPlan(), skip: [{ runId: "run-3", reason: "why" }], tasks: [{ taskId: "task-1", nextFireTime: d("2025-01-01T12:02:00Z"), completed: false }] };
    const merged = mergePlans([first, second, later]);
    expect(merged.queue).toEqual(["run-1", "run-2"]);
    expect(merged.next.map((r) => r.taskId)).toEqual(["task-1", "task-2"]);
    expect(merged.skip).toEqual(later.skip);
    expect(merged.tasks).toEqual([
      { taskId: "task-1", nextFireTime: d("2025-01-01T12:02:00Z"), completed: false },
      { taskId: "task-2", nextFireTime: d("2025-01-01T12:01:00Z"), completed: false },
    ]);
    expect(planSize(merged)).toBe(2 + 2 + 1 + 2);
  });
});
