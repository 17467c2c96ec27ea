// Scheduler transactions lock the fence row first. While something else holds it, the timeout
// sweep (every 100 ms here) must not take the leader's pooled connections one tick after another,
// nor, with nothing to time out, take the fence at all: busy, those waits left claims and reports
// without connections.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { AttemptOutcome, TaskState } from "@taskplane/sdk";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Twenty sweep intervals: without the guard, each would start a sweep of its own. */
const TWENTY_SWEEPS_MS = 2_000;

describe("waiting for the fence row", () => {
  let tp: TestControlPlane;
  /** Holds the fence row. */
  let holder: pg.Client;
  /** Watches: statistics views read inside a transaction keep their first snapshot. */
  let observer: pg.Client;
  beforeAll(async () => {
    tp = await startTestControlPlane({ sweepIntervalMs: 100 });
    holder = new pg.Client({ connectionString: tp.databaseUrl });
    observer = new pg.Client({ connectionString: tp.databaseUrl });
    await Promise.all([holder.connect(), observer.connect()]);
  });
  afterAll(async () => {
    await holder?.end();
    await observer?.end();
    await tp?.stop();
  });

  const waitingForFence = async () =>
    Number(
      (
        await observer.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE scheduler_fence%'`,
        )
      ).rows[0]!.n,
    );

  /** Runs `body` while another transaction holds the fence row. */
  async function holdingFence(body: () => Promise<void>): Promise<void> {
    await holder.query("BEGIN");
    await holder.query("SELECT token FROM scheduler_fence FOR UPDATE");
    try {
      await body();
    } finally {
      await holder.query("COMMIT");
    }
  }

  it("takes no fence for a sweep with nothing to time out", async () => {
    await holdingFence(async () => {
      await sleep(TWENTY_SWEEPS_MS);
      expect(await waitingForFence()).toBe(0);
    });
  });

  it("waits on one connection to time out an attempt however long the fence is held, then times it out", async () => {
    const { task, firstRun } = await tp.client.createTask({ type: "fence.stalled", timeouts: { heartbeat: { nanos: 300_000_000 } } });
    const raw = createClient(WorkerService, createGrpcTransport({ baseUrl: tp.address }));
    // Claimed, and never heartbeated: its lease expires while the fence is held.
    const { assignments } = await raw.pollTasks({ workerId: "silent", taskTypes: ["fence.stalled"], maxTasks: 1, wait: { seconds: 5n } });
    expect(assignments.map((a) => a.runId)).toEqual([firstRun!.id]);
    // Its fire is written (the one-time task completed), so only sweeps want the fence now.
    await eventually(() => tp.client.get(task!.id), (t) => t.state === TaskState.COMPLETED);
    await holdingFence(async () => {
      await eventually(waitingForFence, (n) => n >= 1);
      await sleep(TWENTY_SWEEPS_MS);
      expect(await waitingForFence()).toBe(1);
    });
    const run = await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.attempts[0]?.outcome === AttemptOutcome.TIMED_OUT);
    expect(run.attempts[0]).toMatchObject({ workerId: "silent", error: { type: "HeartbeatTimeout" } });
  });
});
