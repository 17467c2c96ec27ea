// Every schedule kind fires on time and produces one run per scheduled time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, RunState, RunTrigger, schedules, TaskState } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);

describe("schedules", () => {
  let tp: TestControlPlane;
  beforeAll(async () => {
    tp = await startTestControlPlane();
    tp.worker({ handlers: { echo: async (p) => p, tick: async (_p, ctx) => ({ at: ctx.scheduledTime.toISOString() }) }, concurrency: 20 });
  });
  afterAll(() => tp.stop());

  const finished = (runId: string) => eventually(() => tp.client.getRun(runId), (r) => r.state === RunState.SUCCEEDED);

  it("runs a one-time task at once and records its output", async () => {
    const { task, firstRun } = await tp.client.createTask({ type: "echo", payload: json({ hello: "world" }) });
    const run = await finished(firstRun!.id);
    expect(JSON.parse(new TextDecoder().decode(run.output!.data))).toEqual({ hello: "world" });
    expect(run.attempts).toHaveLength(1);
    expect(run.attempts[0]!.workerId).not.toBe("");
    expect((await tp.client.get(task!.id)).state).toBe(TaskState.COMPLETED);
  });

  it("fires a task at a timestamp, not before", async () => {
    const at = new Date(Date.now() + 1_200);
    const { firstRun } = await tp.client.createTask({ type: "echo", schedule: schedules.at(at) });
    expect(ms(firstRun!.scheduledTime)).toBe(at.getTime());
    const run = await finished(firstRun!.id);
    expect(ms(run.startTime)).toBeGreaterThanOrEqual(at.getTime());
  });

  it("fires a delayed task after its delay", async () => {
    const before = Date.now();
    const { firstRun } = await tp.client.createTask({ type: "echo", schedule: schedules.after(800) });
    expect(ms(firstRun!.scheduledTime)).toBeGreaterThanOrEqual(before + 800);
    const run = await finished(firstRun!.id);
    expect(ms(run.fireTime)).toBeGreaterThanOrEqual(ms(firstRun!.scheduledTime));
  });

  it("fires a cron schedule with seconds on each scheduled second, once each", async () => {
    const { task } = await tp.client.createTask({ type: "tick", schedule: schedules.cron("* * * * * *") });
    const { runs } = await eventually(
      () => tp.client.runs({ taskId: task!.id }),
      (r) => r.runs.filter((x) => x.state === RunState.SUCCEEDED).length >= 3,
    );
    await tp.client.cancel(task!.id);
    const times = runs.filter((r) => r.state === RunState.SUCCEEDED).map((r) => ms(r.scheduledTime));
    for (const t of times) expect(t % 1000).toBe(0);
    expect(new Set(times).size).toBe(times.length);
  });

  it("fires an interval schedule on its grid with the offset", async () => {
    const { task } = await tp.client.createTask({ type: "tick", schedule: schedules.every(1_000, { offsetMs: 250 }) });
    const { runs } = await eventually(
      () => tp.client.runs({ taskId: task!.id }),
      (r) => r.runs.filter((x) => x.state === RunState.SUCCEEDED).length >= 2,
    );
    await tp.client.cancel(task!.id);
    for (const r of runs) expect(ms(r.scheduledTime) % 1000).toBe(250);
  });

  it("runs a manual task only when triggered", async () => {
    const { task, firstRun } = await tp.client.createTask({ type: "echo", schedule: schedules.manual() });
    expect(firstRun).toBeUndefined();
    expect((await tp.client.runs({ taskId: task!.id })).runs).toHaveLength(0);
    const triggered = await tp.client.trigger(task!.id, json({ via: "trigger" }));
    expect(triggered.trigger).toBe(RunTrigger.MANUAL);
    const run = await finished(triggered.id);
    expect(JSON.parse(new TextDecoder().decode(run.output!.data))).toEqual({ via: "trigger" });
  });

  it("stops a recurring schedule at its end bound", async () => {
    const end = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2_000);
    const { task } = await tp.client.createTask({ type: "tick", schedule: schedules.cron("* * * * * *", "UTC", { endTime: end }) });
    const done = await eventually(() => tp.client.get(task!.id), (t) => t.state === TaskState.COMPLETED);
    expect(done.nextFireTime).toBeUndefined();
    const { runs } = await tp.client.runs({ taskId: task!.id });
    for (const r of runs) expect(ms(r.scheduledTime)).toBeLessThanOrEqual(end.getTime());
  });

  it("previews the next fire times of a cron schedule in its time zone", async () => {
    const after = new Date("2026-03-27T00:00:00Z");
    const times = await tp.client.preview(schedules.cron("30 9 * * *", "Europe/Berlin"), 3, after);
    expect(times.map((t) => t.toISOString())).toEqual([
      "2026-03-27T08:30:00.000Z",
      "2026-03-28T08:30:00.000Z",
      "2026-03-29T07:30:00.000Z",
    ]);
  });
});
