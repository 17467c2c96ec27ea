// Runs whose fate is settled are fired a little early so a waiting poll records its claim ahead;
// the work is still handed out at the due instant, never before, and starts at exactly that time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { RunState, schedules } from "@taskplane/sdk";
import { startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

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

  it("fires a recurring run whose overlap policy depends on the previous run only when it is due", async () => {
    const waiting = raw.pollTasks({ workerId: "ahead", taskTypes: ["ahead.cron"], maxTasks: 1, wait: { seconds: 10n } });
    const { firstRun, task } = await tp.client.createTask({ type: "ahead.cron", schedule: schedules.every(2_000) });
    const seen = await firstSeenOutOfScheduled(firstRun!.id);
    expect(seen.at).toBeGreaterThanOrEqual(ms(firstRun!.scheduledTime));
    await waiting;
    await tp.client.cancel(task!.id);
  });
});
