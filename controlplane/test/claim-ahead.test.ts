// Runs whose fate is decided ahead are fired a little early so a waiting poll records its claim ahead;
// the attempt starts at exactly the due time. The work is handed out at the due instant, never
// before, except to a worker that says it waits for the start time itself (the SDK's worker).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { RunState, schedules, Worker } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);

describe("claim ahead", () => {
  let tp: TestControlPlane;
  let raw: ReturnType<typeof createClient<typeof WorkerService>>;
  beforeAll(async () => {
    tp = await startTestControlPlane({ claimAheadMs: 300 });
    raw = createClient(WorkerService, createGrpcTransport({ baseUrl: tp.address }));
  });
  afterAll(() => tp.stop());

  it("hands a poll its runs at the due instant, with the attempt starting then", async () => {
    const waiting = raw.pollTasks({ workerId: "ahead", taskTypes: ["ahead.once"], maxTasks: 50, wait: { seconds: 10n } });
    // Far enough ahead that the runs are written and fired before they are due, even on a busy machine.
    const at = new Date(Date.now() + 3_000);
    const created = await tp.client.createTasks(Array.from({ length: 20 }, () => ({ type: "ahead.once", schedule: schedules.at(at) })));
    const { assignments } = await waiting;
    const receivedAt = Date.now();
    expect(assignments).toHaveLength(20);
    expect(receivedAt).toBeGreaterThanOrEqual(at.getTime());
    const run = await tp.client.getRun(assignments[0]!.runId);
    expect(run.state).toBe(RunState.RUNNING);
    expect(ms(run.startTime)).toBe(at.getTime());
    expect(ms(run.fireTime)).toBe(at.getTime());
    expect(new Set(assignments.map((a) => a.taskId))).toEqual(new Set(created.map((t) => t.id)));
  });

  it("answers a worker that waits for the start time as soon as the claim is written", async () => {
    const waiting = raw.pollTasks({ workerId: "ahead", taskTypes: ["ahead.told"], maxTasks: 50, wait: { seconds: 10n }, waitsForStartTime: true });
    const at = new Date(Date.now() + 3_000);
    await tp.client.createTasks(Array.from({ length: 20 }, () => ({ type: "ahead.told", schedule: schedules.at(at) })));
    const { assignments, serverTime } = await waiting;
    expect(Date.now()).toBeLessThan(at.getTime());
    expect(assignments).toHaveLength(20);
    expect(new Set(assignments.map((a) => ms(a.startTime)))).toEqual(new Set([at.getTime()]));
    expect(ms(serverTime)).toBeLessThan(at.getTime());
    expect(ms((await tp.client.getRun(assignments[0]!.runId)).startTime)).toBe(at.getTime());
  });

  it("has the SDK's worker start a run it was handed ahead at its due time, not on receipt", async () => {
    const started: { at: number; due: number }[] = [];
    const worker = Worker.create({
      address: tp.address,
      concurrency: 20,
      handleSignals: false,
      handlers: { "ahead.sdk": (_p, ctx) => void started.push({ at: Date.now(), due: ctx.scheduledTime.getTime() }) },
    });
    const running = worker.run();
    const at = new Date(Date.now() + 2_000);
    await tp.client.createTasks(Array.from({ length: 10 }, () => ({ type: "ahead.sdk", schedule: schedules.at(at) })));
    await eventually(async () => started.length, (n) => n === 10);
    await worker.shutdown();
    await running;
    expect(started.every((s) => s.due === at.getTime() && s.at >= s.due)).toBe(true);
  });

  /** Polls GetRun until the run leaves SCHEDULED; returns when that was first seen. */
  async function firstSeenOutOfScheduled(runId: string): Promise<{ at: number; state: RunState }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const run = await tp.client.getRun(runId);
      if (run.state !== RunState.SCHEDULED) return { at: Date.now(), state: run.state };
      if (Date.now() > deadline) throw new Error(`run ${runId} stayed SCHEDULED`);
    }
  }

  it("records the claim of a settled run before it is due", async () => {
    const waiting = raw.pollTasks({ workerId: "ahead", taskTypes: ["ahead.early"], maxTasks: 1, wait: { seconds: 10n } });
    const at = new Date(Date.now() + 1_500);
    const { firstRun } = await tp.client.createTask({ type: "ahead.early", schedule: schedules.at(at) });
    const seen = await firstSeenOutOfScheduled(firstRun!.id);
    expect(seen.state).toBe(RunState.RUNNING);
    expect(seen.at).toBeLessThan(at.getTime());
    await waiting;
  });

  it("claims a recurring fire ahead when no earlier run of its task is unfinished", async () => {
    // The first fire is at the next multiple of 2 s: create the task early in a 2-s period, so that
    // fire is far enough ahead to be read before it is due.
    await new Promise((r) => setTimeout(r, (2_000 - (Date.now() % 2_000) + 100) % 2_000));
    const waiting = raw.pollTasks({ workerId: "ahead", taskTypes: ["ahead.cron"], maxTasks: 1, wait: { seconds: 10n } });
    const { firstRun, task } = await tp.client.createTask({ type: "ahead.cron", schedule: schedules.every(2_000) });
    const due = ms(firstRun!.scheduledTime);
    const seen = await firstSeenOutOfScheduled(firstRun!.id);
    expect(seen.state).toBe(RunState.RUNNING);
    expect(seen.at).toBeLessThan(due);
    const { assignments } = await waiting;
    expect(Date.now()).toBeGreaterThanOrEqual(due);
    expect(ms((await tp.client.getRun(assignments[0]!.runId)).startTime)).toBe(due);
    await tp.client.cancel(task!.id);
  });

  it("decides a recurring fire at its due time when the previous run is unfinished when it is read", async () => {
    const { task } = await tp.client.createTask({ type: "ahead.busy", schedule: schedules.every(2_000) });
    const first = (await raw.pollTasks({ workerId: "ahead", taskTypes: ["ahead.busy"], maxTasks: 1, wait: { seconds: 10n } })).assignments[0]!;
    const secondPoll = raw.pollTasks({ workerId: "ahead", taskTypes: ["ahead.busy"], maxTasks: 1, wait: { seconds: 10n } });
    // The first run is still RUNNING when the second fire is read, 300 ms ahead; it ends before
    // that fire is due, so the overlap policy (SKIP) lets the second fire run.
    const secondDue = ms(first.scheduledTime) + 2_000;
    await new Promise((r) => setTimeout(r, Math.max(0, secondDue - 150 - Date.now())));
    await raw.completeRun({ runId: first.runId, attempt: first.attempt });
    const second = (await secondPoll).assignments[0]!;
    expect(ms(second.scheduledTime)).toBe(secondDue);
    const runs = (await tp.client.runs({ taskId: task!.id })).runs;
    expect(runs.filter((r) => r.state === RunState.SKIPPED)).toEqual([]);
    await tp.client.cancel(task!.id);
  });

  it("skips a recurring fire whose previous run is still unfinished at its due time", async () => {
    const { task } = await tp.client.createTask({ type: "ahead.skip", schedule: schedules.every(1_000) });
    const first = (await raw.pollTasks({ workerId: "ahead", taskTypes: ["ahead.skip"], maxTasks: 1, wait: { seconds: 10n } })).assignments[0]!;
    const secondTime = ms(first.scheduledTime) + 1_000;
    const deadline = Date.now() + 10_000;
    let second;
    while (!second && Date.now() < deadline) {
      second = (await tp.client.runs({ taskId: task!.id })).runs.find((r) => ms(r.scheduledTime) === secondTime && r.state !== RunState.SCHEDULED);
    }
    expect(second?.state).toBe(RunState.SKIPPED);
    expect(ms(second?.endTime)).toBeGreaterThanOrEqual(secondTime);
    await raw.completeRun({ runId: first.runId, attempt: first.attempt });
    await tp.client.cancel(task!.id);
  });
});
