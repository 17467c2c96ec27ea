// The SDK worker drains on shutdown: it asks the server to answer its poll (ShutdownWorker) rather
// than cancel it, lets running handlers finish within the grace period, and aborts the rest so
// their runs are retried elsewhere.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { RunState, schedules, WorkerShutdownError } from "@taskplane/sdk";
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

describe("ShutdownWorker", () => {
  let tp: TestControlPlane;
  let raw: ReturnType<typeof createClient<typeof WorkerService>>;
  beforeAll(async () => {
    // Runs are claimed a second ahead, so a shutdown can land while a claim waits for its due instant.
    tp = await startTestControlPlane({ claimAheadMs: 1_000 });
    raw = createClient(WorkerService, createGrpcTransport({ baseUrl: tp.address }));
  });
  afterAll(() => tp.stop());

  /** Whether the call settles within 5 s (a waiting poll holds for 30 s). */
  const answeredSoon = (call: Promise<unknown>) => Promise.race([call.then(() => true), new Promise((r) => setTimeout(() => r(false), 5_000))]);

  it("answers the worker's waiting poll with no runs, and its next polls at once; other workers keep waiting", async () => {
    const poll = { taskTypes: ["sd.none"], maxTasks: 10, wait: { seconds: 30n } };
    const leaving = raw.pollTasks({ ...poll, workerId: "leaving" });
    const staying = raw.pollTasks({ ...poll, workerId: "staying" });
    await new Promise((r) => setTimeout(r, 200)); // both polls waiting
    expect((await raw.shutdownWorker({ workerId: "leaving" })).pollsAnswered).toBe(1);
    expect(await answeredSoon(leaving)).toBe(true);
    expect((await leaving).assignments).toEqual([]);
    expect(await answeredSoon(raw.pollTasks({ ...poll, workerId: "leaving" }))).toBe(true);
    // The other worker's poll still waits, and takes the next run.
    const { firstRun } = await tp.client.createTask({ type: "sd.none" });
    expect((await staying).assignments.map((a) => a.runId)).toEqual([firstRun!.id]);
  });

  it("lets a worker shutting down receive and run what was claimed for it ahead, rather than lose it", async () => {
    let ran = 0;
    const worker = tp.worker({ workerId: "ahead-leaver", handlers: { "sd.ahead": async () => void ran++ } });
    const due = new Date(Date.now() + 3_000);
    const { firstRun } = await tp.client.createTask({ type: "sd.ahead", schedule: schedules.at(due) });
    // Claimed for the worker's poll up to a second ahead; the answer is held until the due instant.
    await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.RUNNING);
    expect(Date.now()).toBeLessThan(due.getTime());
    await worker.shutdown();
    expect(ran).toBe(1);
    const run = await tp.client.getRun(firstRun!.id);
    expect([RunState[run.state], run.attempts.map((a) => a.workerId)]).toEqual(["SUCCEEDED", ["ahead-leaver"]]);
  });
});
