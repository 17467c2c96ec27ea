// More runs due than the scheduler's window holds (reloadLimit): the window holds the soonest,
// reloads only a few seconds ahead while it is full, and reads the rest as it fires; every run still
// fires, once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunState, schedules } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

const RUNS = 120;

describe("a due window smaller than what is due", () => {
  let tp: TestControlPlane;
  const started: string[] = [];
  beforeAll(async () => {
    tp = await startTestControlPlane({ reloadLimit: 20 });
    tp.worker({ handlers: { "window.once": async (_p, ctx) => void started.push(ctx.runId) }, concurrency: 50 });
  });
  afterAll(() => tp.stop());

  it("fires every run once, six times as many as the window holds", async () => {
    const first = Date.now() + 2_000;
    // Due one every 30 ms over 3.6 s, so the window is full and refilled several times.
    const tasks = await tp.client.createTasks(
      Array.from({ length: RUNS }, (_, i) => ({ type: "window.once", schedule: schedules.at(new Date(first + i * 30)) })),
    );
    const { runs } = await eventually(() => tp.client.runs({ state: RunState.SUCCEEDED, pageSize: 500 }), (r) => r.runs.length >= RUNS, 30_000);
    expect(new Set(started).size).toBe(started.length);
    expect(new Set(runs.map((r) => r.taskId))).toEqual(new Set(tasks.map((t) => t.id)));
    expect(runs.every((r) => r.attempt === 1)).toBe(true);
  });
});
