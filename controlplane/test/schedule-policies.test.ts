// The answers to "what happens when": DST previews, jitter, backfill, and one run per scheduled
// time under concurrent backfills, triggers and the live schedule, over real gRPC and Postgres.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  DstEffect,
  MissingTimePolicy,
  OverlapPolicy,
  RepeatedTimePolicy,
  RunState,
  RunTrigger,
  schedules,
  TaskplaneClient,
} from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { withDb } from "./harness/db.js";
import { codeOf } from "./harness/error-code.js";

const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);
const iso = (t: { seconds: bigint; nanos: number } | undefined) => new Date(ms(t)).toISOString();
const HOUR = 3_600_000;

describe("schedule policies", () => {
  let tp: TestControlPlane;
  let release: () => void = () => {};
  beforeAll(async () => {
    tp = await startTestControlPlane();
    tp.worker({
      handlers: {
        tick: async () => ({}),
        // Holds its run until the test releases it, to make runs overlap.
        hold: () => new Promise<unknown>((resolve) => (release = () => resolve({}))),
      },
      concurrency: 50,
    });
  });
  afterAll(() => tp.stop());

  describe("previews", () => {
    it("lists a missing local time with what the policy does, and leaves skipped ones out of fire_times", async () => {
      const after = new Date("2026-03-28T12:00:00Z");
      const skip = schedules.cron("30 2 * * *", "Europe/Berlin", { onMissingTime: MissingTimePolicy.SKIP });
      const { fires, fireTimes } = await tp.client.previewFires(skip, 3, after);
      expect(fires.map((f) => [f.localTime, f.dstEffect, f.skipped])).toEqual([
        ["2026-03-29T02:30:00", DstEffect.MISSING_TIME, true],
        ["2026-03-30T02:30:00+02:00", DstEffect.UNSPECIFIED, false],
        ["2026-03-31T02:30:00+02:00", DstEffect.UNSPECIFIED, false],
      ]);
      expect(fires[0]!.note).toContain("clocks jump from 02:00 to 03:00; on_missing_time SKIP: no fire");
      expect(fireTimes.map(iso)).toEqual(["2026-03-30T00:30:00.000Z", "2026-03-31T00:30:00.000Z"]);

      const run = await tp.client.previewFires(schedules.cron("30 2 * * *", "Europe/Berlin"), 1, after);
      expect(run.fires.map((f) => [iso(f.time), f.localTime, f.skipped])).toEqual([["2026-03-29T01:00:00.000Z", "2026-03-29T02:30:00", false]]);
      expect(run.fires[0]!.note).toContain("fires once at 03:00");
    });

    it("shows both occurrences of a repeated local time and which of them fire", async () => {
      const after = new Date("2026-10-24T12:00:00Z");
      const last = schedules.cron("30 2 * * *", "Europe/Berlin", { onRepeatedTime: RepeatedTimePolicy.RUN_ONCE_LAST });
      const { fires } = await tp.client.previewFires(last, 2, after);
      expect(fires.map((f) => [iso(f.time), f.localTime, f.dstEffect, f.skipped])).toEqual([
        ["2026-10-25T00:30:00.000Z", "2026-10-25T02:30:00+02:00", DstEffect.REPEATED_TIME_FIRST, true],
        ["2026-10-25T01:30:00.000Z", "2026-10-25T02:30:00+01:00", DstEffect.REPEATED_TIME_SECOND, false],
      ]);
      expect(fires[1]!.note).toContain("occurs twice on 2026-10-25 in Europe/Berlin; this is the second");
    });

    it("refuses an unknown time zone and a bad expression with INVALID_ARGUMENT", async () => {
      expect(await codeOf(tp.client.previewFires(schedules.cron("0 * * * *", "Mars/Olympus")))).toBe(Code.InvalidArgument);
      expect(await codeOf(tp.client.previewFires(schedules.cron("61 * * * *")))).toBe(Code.InvalidArgument);
    });
  });

  describe("pause", () => {
    /** A cron schedule that fires once a minute, `inMs` from now (held in the leader's due window). */
    const firesIn = (inMs: number) => {
      const at = new Date(Date.now() + inMs);
      return { at, schedule: schedules.cron(`${at.getUTCSeconds()} * * * * *`) };
    };

    it("stops a fire the leader already holds in memory", async () => {
      const { at, schedule } = firesIn(2_500);
      const { task, firstRun } = await tp.client.createTask({ type: "tick", schedule });
      await tp.client.pause(task!.id);
      await new Promise((r) => setTimeout(r, Math.max(0, at.getTime() - Date.now()) + 500));
      const run = await tp.client.getRun(firstRun!.id);
      expect([RunState[run.state], run.reason, run.attempts.length]).toEqual(["SKIPPED", "task paused", 0]);
      await tp.client.cancel(task!.id);
    });

    it("runs that fire when resumed before it", async () => {
      const { schedule } = firesIn(2_500);
      const { task, firstRun } = await tp.client.createTask({ type: "tick", schedule });
      await tp.client.pause(task!.id);
      await tp.client.resume(task!.id);
      const run = await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
      expect([run.trigger, run.reason]).toEqual([RunTrigger.SCHEDULE, ""]);
      await tp.client.cancel(task!.id);
    });
  });

  describe("jitter", () => {
    it("delays each fire by a fixed offset within the jitter, keeping the scheduled time", async () => {
      const jitterMs = 700;
      const { task, firstRun } = await tp.client.createTask({ type: "tick", schedule: schedules.every(1_000, { jitterMs }) });
      const upcoming = await tp.client.upcomingFires(task!.id);
      expect(upcoming.length).toBe(10);
      // The preview's due times are the ones the runs get: the same fire always has the same offset.
      expect(iso(upcoming[0]!.dueTime)).toBe(iso(firstRun!.dueTime));
      expect(await tp.client.upcomingFires(task!.id)).toEqual(upcoming);
      const offsets = upcoming.map((f) => ms(f.dueTime) - ms(f.time));
      for (const offset of offsets) {
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThan(jitterMs);
      }
      expect(new Set(offsets).size).toBeGreaterThan(1);

      const { runs } = await eventually(
        () => tp.client.runs({ taskId: task!.id }),
        (r) => r.runs.filter((x) => x.state === RunState.SUCCEEDED).length >= 3,
      );
      await tp.client.cancel(task!.id);
      for (const run of runs.filter((x) => x.state === RunState.SUCCEEDED)) {
        expect(ms(run.scheduledTime) % 1_000).toBe(0);
        const offset = ms(run.dueTime) - ms(run.scheduledTime);
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThan(jitterMs);
        expect(ms(run.startTime)).toBeGreaterThanOrEqual(ms(run.dueTime));
      }
    });
  });

  describe("backfill", () => {
    it("creates the runs of a past range once, and nothing the second time", async () => {
      const { task } = await tp.client.createTask({ type: "tick", schedule: schedules.every(HOUR) });
      const now = Date.now();
      const from = new Date(now - 5 * HOUR);
      const to = new Date(now - 1);
      const first = await tp.client.backfill(task!.id, from, to);
      expect(first.fireTimes).toBe(5);
      expect(first.created).toBe(5);
      const { runs } = await eventually(
        () => tp.client.runs({ taskId: task!.id, state: RunState.SUCCEEDED }),
        (r) => r.runs.length === 5,
      );
      for (const run of runs) {
        expect(run.trigger).toBe(RunTrigger.BACKFILL);
        expect(ms(run.scheduledTime) % HOUR).toBe(0);
        expect(ms(run.scheduledTime)).toBeGreaterThanOrEqual(from.getTime());
      }
      const again = await tp.client.backfill(task!.id, from, to);
      expect([again.created, again.reopened, again.existing]).toEqual([0, 0, 5]);
      await tp.client.cancel(task!.id);
    });

    it("runs fires that were recorded SKIPPED while paused", async () => {
      const { task } = await tp.client.createTask({ type: "tick", schedule: schedules.every(1_000) });
      await tp.client.pause(task!.id);
      await new Promise((r) => setTimeout(r, 2_500));
      await tp.client.resume(task!.id);
      const skipped = (await tp.client.runs({ taskId: task!.id, state: RunState.SKIPPED })).runs;
      expect(skipped.length).toBeGreaterThanOrEqual(2);
      const times = skipped.map((r) => ms(r.scheduledTime));
      const result = await tp.client.backfill(task!.id, new Date(Math.min(...times)), new Date(Math.max(...times)));
      expect(result.reopened).toBe(skipped.length);
      expect(result.created).toBe(0);
      const ran = await eventually(
        () => Promise.all(skipped.map((r) => tp.client.getRun(r.id))),
        (rs) => rs.every((r) => r.state === RunState.SUCCEEDED && r.trigger === RunTrigger.BACKFILL),
      );
      // The history still says why the fire did not run at its time.
      expect(ran.map((r) => r.reason)).toEqual(skipped.map((r) => `reopened by a backfill; skipped before: ${r.reason}`));
      await tp.client.cancel(task!.id);
    });

    it("with overlap SKIP runs one backfilled fire and records the others as SKIPPED", async () => {
      const { task } = await tp.client.createTask({ type: "hold", schedule: schedules.every(HOUR) });
      const now = Date.now();
      const result = await tp.client.backfill(task!.id, new Date(now - 3 * HOUR), new Date(now - 1), OverlapPolicy.SKIP);
      expect(result.created).toBe(3);
      const { runs } = await eventually(
        () => tp.client.runs({ taskId: task!.id }),
        (r) => r.runs.filter((x) => x.state === RunState.SKIPPED).length === 2 && r.runs.some((x) => x.state === RunState.RUNNING),
      );
      expect(runs.filter((r) => r.state === RunState.SKIPPED).every((r) => r.reason.includes("overlap policy SKIP"))).toBe(true);
      release();
      await tp.client.cancel(task!.id);
    });

    it("with overlap SKIP runs one of more backfilled fires than one fire reads at once", async () => {
      const { task } = await tp.client.createTask({ type: "hold", schedule: schedules.every(HOUR) });
      const now = Date.now();
      const result = await tp.client.backfill(task!.id, new Date(now - 1_500 * HOUR), new Date(now - 1), OverlapPolicy.SKIP);
      expect(result.created).toBe(1_500);
      const byState = () =>
        withDb(tp.databaseUrl, async (db) =>
          Object.fromEntries(
            (await db.query<{ state: string; n: number }>("SELECT state, count(*)::int AS n FROM runs WHERE task_id = $1 AND trigger = 'BACKFILL' GROUP BY state", [task!.id])).rows.map((r) => [r.state, r.n]),
          ),
        );
      expect(await eventually(byState, (s) => (s.SKIPPED ?? 0) + (s.RUNNING ?? 0) === 1_500)).toEqual({ RUNNING: 1, SKIPPED: 1_499 });
      release();
      await tp.client.cancel(task!.id);
    });

    it("refuses what cannot be backfilled with the right code, changing nothing", async () => {
      const now = Date.now();
      // Ended a while ago: the task is COMPLETED and has no runs, but its past can be backfilled.
      const { task } = await tp.client.createTask({ type: "tick", schedule: schedules.every(1_000, { endTime: new Date(now - HOUR) }) });
      expect(await codeOf(tp.client.backfill(task!.id, new Date(now - 2 * HOUR), new Date(now + HOUR)))).toBe(Code.InvalidArgument);
      expect(await codeOf(tp.client.backfill(task!.id, new Date(now - HOUR), new Date(now - 2 * HOUR)))).toBe(Code.InvalidArgument);
      // About 1,000,000 fire times: more than one backfill may create.
      expect(await codeOf(tp.client.backfill(task!.id, new Date(now - 1_000_000_000), new Date(now - 1)))).toBe(Code.InvalidArgument);
      expect(await codeOf(tp.client.backfill(task!.id, new Date(now - 2 * HOUR), new Date(now - 1), OverlapPolicy.CANCEL_PREVIOUS))).toBe(
        Code.InvalidArgument,
      );
      expect(await codeOf(tp.client.backfill(crypto.randomUUID(), new Date(now - HOUR), new Date(now - 1)))).toBe(Code.NotFound);
      const { task: once } = await tp.client.createTask({ type: "tick", schedule: schedules.after(HOUR) });
      expect(await codeOf(tp.client.backfill(once!.id, new Date(now - HOUR), new Date(now - 1)))).toBe(Code.FailedPrecondition);
      expect((await tp.client.runs({ taskId: task!.id })).runs).toHaveLength(0);
      // The last 10 seconds before the end bound are still there to backfill.
      expect((await tp.client.backfill(task!.id, new Date(now - HOUR - 9_999), new Date(now - 1))).created).toBe(10);
    });
  });

  describe("exactly one run per scheduled time", () => {
    it("holds under concurrent backfills, triggers and the live schedule", async () => {
      const { task } = await tp.client.createTask({ type: "tick", schedule: schedules.cron("* * * * * *") });
      await eventually(
        () => tp.client.runs({ taskId: task!.id, state: RunState.SUCCEEDED }),
        (r) => r.runs.length >= 3,
      );
      const now = Date.now();
      const ranges = [
        [now - 20_000, now - 1],
        [now - 15_000, now - 5_000],
        [now - 30_000, now - 10_000],
        [now - 20_000, now - 1],
      ];
      const [results] = await Promise.all([
        Promise.all(ranges.map(([a, b]) => tp.client.backfill(task!.id, new Date(a!), new Date(b!)))),
        Promise.all(Array.from({ length: 10 }, () => tp.client.trigger(task!.id))),
      ]);
      // Cancelling while those writes settle may meet a deadlock, answered UNAVAILABLE ("retry
      // shortly"): cancel as a user's client does, retrying by default.
      await new TaskplaneClient({ address: tp.address }).cancel(task!.id);
      const expected = Math.floor((now - 1) / 1000) - Math.ceil((now - 30_000) / 1000) + 1;
      const rows = await withDb(tp.databaseUrl, async (db) =>
        (
          await db.query<{ n: number; backfilled: number; distinct_times: number }>(
            `SELECT count(*)::int AS n, count(*) FILTER (WHERE trigger = 'BACKFILL')::int AS backfilled,
                    count(DISTINCT scheduled_time)::int AS distinct_times
               FROM runs WHERE task_id = $1 AND trigger <> 'MANUAL' AND scheduled_time BETWEEN $2 AND $3`,
            [task!.id, new Date(now - 30_000), new Date(now - 1)],
          )
        ).rows[0]!,
      );
      // Every second of the union of the ranges has exactly one run, live or backfilled.
      expect(rows.n).toBe(expected);
      expect(rows.distinct_times).toBe(expected);
      // Each backfilled run was created by exactly one of the concurrent backfills.
      expect(results.reduce((sum, r) => sum + r.created + r.reopened, 0)).toBe(rows.backfilled);
      const manual = (await tp.client.runs({ taskId: task!.id, pageSize: 1000 })).runs.filter((r) => r.trigger === RunTrigger.MANUAL);
      expect(manual).toHaveLength(10);
    });
  });
});
