// The SDK worker's own figures, for an application's metrics: what it ran and how that ended.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NonRetryableError, RunState } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("worker stats", () => {
  let tp: TestControlPlane;
  beforeAll(async () => {
    tp = await startTestControlPlane();
  });
  afterAll(() => tp.stop());

  it("counts attempts running, succeeded and failed, and results awaiting an answer", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const worker = tp.worker({
      handlers: {
        ok: async () => "fine",
        bad: async () => {
          throw new NonRetryableError("no");
        },
        hold: () => held,
      },
    });
    expect(worker.stats()).toMatchObject({ state: "RUNNING", running: 0, succeeded: 0, failed: 0 });
    const created = await tp.client.createTasks([{ type: "ok" }, { type: "ok" }, { type: "bad" }, { type: "hold" }]);
    await eventually(async () => worker.stats(), (s) => s.succeeded === 2 && s.failed === 1 && s.running === 1);
    release();
    await eventually(async () => worker.stats(), (s) => s.succeeded === 3 && s.running === 0 && s.awaitingAnswer === 0);
    const runs = await Promise.all(created.map(async (t) => (await tp.client.runs({ taskId: t.id })).runs[0]!.state));
    expect(runs.filter((s) => s === RunState.SUCCEEDED)).toHaveLength(3);
    expect(worker.stats()).toMatchObject({ refused: 0, pollFailures: 0 });
  });
});
