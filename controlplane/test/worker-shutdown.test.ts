// The SDK worker drains on shutdown: it stops polling, lets running handlers finish within the
// grace period, and aborts the rest so their runs are retried elsewhere.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunState, WorkerShutdownError } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("worker shutdown", () => {
  let tp: TestControlPlane;
  beforeAll(async () => {
    tp = await startTestControlPlane();
  });
  afterAll(() => tp.stop());

  it("finishes running handlers within the grace period, then stops polling", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const worker = tp.worker({ handlers: { "drain.me": async () => (await released, "finished") }, shutdownGraceMs: 10_000 });
    const { firstRun } = await tp.client.createTask({ type: "drain.me" });
    await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.RUNNING);
    const stopped = worker.shutdown();
    expect(worker.currentState).toBe("DRAINING");
    release();
    await stopped;
    expect(worker.currentState).toBe("STOPPED");
    expect((await tp.client.getRun(firstRun!.id)).state).toBe(RunState.SUCCEEDED);
    // Nothing polls any more: a new run waits.
    const { firstRun: later } = await tp.client.createTask({ type: "drain.me" });
    await new Promise((r) => setTimeout(r, 300));
    expect((await tp.client.getRun(later!.id)).state).toBe(RunState.QUEUED);
  });

  it("aborts handlers that outlive the grace period, and their runs are retried", async () => {
    let reason: unknown;
    const worker = tp.worker({
      handlers: {
        "never.ends": (_p, ctx) =>
          new Promise((_, reject) =>
            ctx.signal.addEventListener("abort", () => {
              reason = ctx.signal.reason;
              reject(ctx.signal.reason);
            }),
          ),
      },
      shutdownGraceMs: 200,
    });
    const { firstRun } = await tp.client.createTask({ type: "never.ends", retryPolicy: { initialBackoff: { seconds: 60n } } });
    await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.RUNNING);
    await worker.shutdown();
    expect(reason).toBeInstanceOf(WorkerShutdownError);
    const run = await tp.client.getRun(firstRun!.id);
    expect(run.state).toBe(RunState.RETRYING);
    expect(run.attempts[0]!.error!.type).toBe("WorkerShutdownError");
  });
});
