// The quickstart as an end-to-end test: a real control plane, a worker with the quickstart's
// handlers, and the same scenario `run.ts` prints, asserted instead of printed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePayload, RunState, RunTrigger, TaskState, type Run } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "../../controlplane/test/harness/control-plane.js";
import { handlers } from "./handlers.js";
import { runQuickstart, type QuickstartResult } from "./quickstart.js";

const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);
const iso = (t: { seconds: bigint; nanos: number } | undefined) => new Date(ms(t)).toISOString();
const pending = (r: Run) => r.state === RunState.SCHEDULED || r.state === RunState.QUEUED;

describe("quickstart", () => {
  let tp: TestControlPlane;
  let result: QuickstartResult;

  beforeAll(async () => {
    tp = await startTestControlPlane();
    tp.worker({ handlers, concurrency: 20 });
    result = await runQuickstart(tp.client);
  });
  afterAll(() => tp?.stop());

  it("greets once at once", async () => {
    const run = result.oneTime;
    expect(RunState[run.state]).toBe("SUCCEEDED");
    expect(run.attempt).toBe(1);
    expect(run.trigger).toBe(RunTrigger.SCHEDULE);
    expect(decodePayload(run.output)).toEqual({ greeting: "Hello, one-time!", scheduledTime: iso(run.scheduledTime) });
    expect((await tp.client.get(run.taskId)).state).toBe(TaskState.COMPLETED);
  });

  it("greets after the 1.5 s delay, not before", async () => {
    const run = result.delayed;
    expect(RunState[run.state]).toBe("SUCCEEDED");
    expect(run.attempt).toBe(1);
    expect(decodePayload(run.output)).toEqual({ greeting: "Hello, delayed!", scheduledTime: iso(run.scheduledTime) });
    const task = await tp.client.get(run.taskId);
    const delay = ms(run.scheduledTime) - ms(task.createTime);
    expect(delay).toBeGreaterThanOrEqual(1_500);
    expect(delay).toBeLessThan(2_500);
    expect(ms(run.fireTime)).toBeGreaterThanOrEqual(ms(run.scheduledTime));
    expect(ms(run.startTime)).toBeGreaterThanOrEqual(ms(run.scheduledTime));
  });

  it("greets the manual task only through its trigger", async () => {
    const run = result.manual;
    expect(RunState[run.state]).toBe("SUCCEEDED");
    expect(run.trigger).toBe(RunTrigger.MANUAL);
    expect(decodePayload(run.output)).toEqual({ greeting: "Hello, manual!", scheduledTime: iso(run.scheduledTime) });
    // The manual task has exactly the one triggered run.
    const { runs } = await tp.client.runs({ taskId: run.taskId });
    expect(runs.map((r) => r.id)).toEqual([run.id]);
  });

  it("ticks the cron schedule on even seconds, once per scheduled time", () => {
    const succeeded = result.cronRuns.filter((r) => r.state === RunState.SUCCEEDED);
    expect(succeeded.length).toBeGreaterThanOrEqual(2);
    const times = succeeded.map((r) => ms(r.scheduledTime));
    for (const t of times) expect(t % 2_000).toBe(0);
    expect(new Set(times).size).toBe(times.length);
    for (const r of succeeded) {
      expect(r.trigger).toBe(RunTrigger.SCHEDULE);
      expect(decodePayload(r.output)).toMatchObject({ scheduledTime: iso(r.scheduledTime) });
    }
    // Every cron run, whatever its state, is for a distinct time.
    const all = result.cronRuns.map((r) => ms(r.scheduledTime));
    expect(new Set(all).size).toBe(all.length);
  });

  it("leaves no cron run pending after the cancel", async () => {
    expect(result.cronRuns.filter(pending)).toEqual([]);
    const taskId = result.cronRuns[0]!.taskId;
    const task = await tp.client.get(taskId);
    expect(task.state).toBe(TaskState.CANCELLED);
    expect(task.nextFireTime).toBeUndefined();
    // Whatever was running when cancelled finishes; nothing new is scheduled or queued.
    const { runs } = await eventually(
      () => tp.client.runs({ taskId }),
      (r) => r.runs.every((x) => x.state >= RunState.SUCCEEDED),
    );
    expect(runs.filter(pending)).toEqual([]);
    expect(runs.length).toBeGreaterThanOrEqual(result.cronRuns.length);
  });
});
