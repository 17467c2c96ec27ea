// Two control planes on one Postgres with etcd leadership: only the leader schedules, a follower
// takes over when the leader stops, and a scheduler whose fencing token is stale writes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunState, schedules } from "@taskplane/sdk";
import { FencedWriteError, type FirePlan } from "../src/store/store.js";
import { PgStore } from "../src/store/pg/pg-store.js";
import { fenceToken, withDb } from "./harness/db.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { startTestEtcd, type TestEtcd } from "./harness/etcd.js";

const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);
const handlers = { "replica.tick": async () => "tick" };

describe("replicas with etcd leadership", () => {
  let etcd: TestEtcd;
  beforeAll(async () => {
    etcd = await startTestEtcd();
  });
  afterAll(() => etcd.stop());

  it("schedules each fire once across two replicas, and fails over when the leader stops", async () => {
    const config = { etcdEndpoints: [etcd.endpoint], leaderTtlSeconds: 2 };
    const first = await startTestControlPlane({}, { config });
    const second = await startTestControlPlane({}, { config, databaseUrl: first.databaseUrl });
    const replicas: TestControlPlane[] = [first, second];
    try {
      // Runs are dispatched by the replica that fires them, so each replica gets a worker, and the
      // worker that ran a run tells which replica led.
      replicas.forEach((r, i) => r.worker({ handlers, workerId: `worker-${i}` }));
      const { task } = await first.client.createTask({ type: "replica.tick", schedule: schedules.every(1_000) });
      const before = await eventually(() => second.client.runs({ taskId: task!.id, state: RunState.SUCCEEDED }), (r) => r.runs.length >= 2);
      const leaderWorkers = new Set(before.runs.map((r) => r.attempts[0]!.workerId));
      expect(leaderWorkers.size).toBe(1); // only the leader fires
      const leaderIndex = leaderWorkers.has("worker-0") ? 0 : 1;
      const tokenBefore = await fenceToken(first.databaseUrl);
      const [stopping, surviving] = leaderIndex === 0 ? [first, second] : [second, first];
      const stoppedAt = Date.now();
      await stopping.stop();
      const after = await eventually(
        () => surviving.client.runs({ taskId: task!.id, state: RunState.SUCCEEDED, pageSize: 100 }),
        (r) => r.runs.some((x) => ms(x.scheduledTime) > stoppedAt + 1_000),
        15_000,
      );
      const takenOver = after.runs.filter((x) => ms(x.scheduledTime) > stoppedAt + 1_000);
      expect(takenOver.every((r) => r.attempts[0]!.workerId === `worker-${1 - leaderIndex}`)).toBe(true);
      expect(await fenceToken(first.databaseUrl)).toBeGreaterThan(tokenBefore);
      const { runs } = await surviving.client.runs({ taskId: task!.id, pageSize: 200 });
      const times = runs.map((r) => ms(r.scheduledTime));
      expect(new Set(times).size).toBe(times.length);
      expect(after.runs.length).toBeGreaterThanOrEqual(3);
      await surviving.client.cancel(task!.id);
    } finally {
      await Promise.allSettled(replicas.map((r) => r.stop()));
    }
  });

  it("refuses a scheduler write under a fencing token older than the one in force", async () => {
    const tp = await startTestControlPlane();
    await tp.stop();
    const store = await PgStore.open({ url: tp.databaseUrl });
    try {
      const plan: FirePlan = { queue: [], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [] };
      await store.applyFirePlan(plan, new Date(), 7n);
      const refused = await store.applyFirePlan(plan, new Date(), 3n).catch((e) => e);
      expect(refused).toBeInstanceOf(FencedWriteError);
      expect((refused as FencedWriteError).current).toBe(7n);
    } finally {
      await store.close();
    }
  });

  it("a scheduler whose token is stale fires nothing", async () => {
    const tp = await startTestControlPlane();
    try {
      // A newer leader's token is in force: this single-node scheduler (token 1) must not write.
      await withDb(tp.databaseUrl, (db) => db.query("UPDATE scheduler_fence SET token = 100"));
      const { firstRun } = await tp.client.createTask({ type: "fenced.out", schedule: schedules.after(200) });
      await new Promise((r) => setTimeout(r, 1_500));
      const run = await tp.client.getRun(firstRun!.id);
      expect(run.state).toBe(RunState.SCHEDULED);
    } finally {
      await tp.stop();
    }
  });
});
