// Dispatch over a real NATS JetStream: runs fired by the leader reach workers on any replica, in
// priority order, once each; and a nats-server crash loses no run (Postgres is the outbox).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { json, RunState, schedules } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { startTestEtcd, type TestEtcd } from "./harness/etcd.js";
import { startTestNats, type TestNats } from "./harness/nats.js";

describe("dispatch over JetStream", () => {
  let etcd: TestEtcd;
  let nats: TestNats;
  let replicas: TestControlPlane[];

  beforeAll(async () => {
    [etcd, nats] = await Promise.all([startTestEtcd(), startTestNats()]);
    const config = { etcdEndpoints: [etcd.endpoint], natsServers: [nats.url], leaderTtlSeconds: 2 };
    const first = await startTestControlPlane({ stuckQueuedMs: 2_000 }, { config });
    const second = await startTestControlPlane({ stuckQueuedMs: 2_000 }, { config, databaseUrl: first.databaseUrl });
    replicas = [first, second];
  });
  afterAll(async () => {
    await Promise.allSettled(replicas.map((r) => r.stop()));
    await Promise.allSettled([etcd.stop(), nats.stop()]);
  });

  it("runs every fire once on workers of either replica, whichever leads", async () => {
    // The first replica campaigned first and leads; the only worker is on the second, so every run
    // it fires crosses over JetStream.
    replicas[1]!.worker({ handlers: { "js.echo": async (p) => p } });
    const created = await replicas[0]!.client.createTasks(Array.from({ length: 30 }, (_, i) => ({ type: "js.echo", payload: json(i) })));
    for (const task of created) {
      const { runs } = await eventually(() => replicas[0]!.client.runs({ taskId: task.id }), (r) => r.runs[0]?.state === RunState.SUCCEEDED);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.attempt).toBe(1);
    }
  });

  it("hands buffered runs to a poll highest priority first", async () => {
    const raw = createClient(WorkerService, createGrpcTransport({ baseUrl: replicas[0]!.address }));
    // A first poll makes this replica, and only this one, consume the queue.
    const queue = "solo";
    await raw.pollTasks({ workerId: "prio", queue, maxTasks: 1, wait: { seconds: 1n } });
    const client = replicas[0]!.client;
    await client.createTasks([
      { type: "js.prio", queue, priority: 4, payload: json("low") },
      { type: "js.prio", queue, priority: 1, payload: json("critical") },
      { type: "js.prio", queue, priority: 3, payload: json("normal") },
    ]);
    await new Promise((r) => setTimeout(r, 1_000)); // fired and buffered: no poll is waiting
    const { assignments } = await raw.pollTasks({ workerId: "prio", queue, maxTasks: 3, wait: { seconds: 5n } });
    expect(assignments.map((a) => JSON.parse(new TextDecoder().decode(a.payload!.data)))).toEqual(["critical", "normal", "low"]);
  });

  it("loses no run when nats-server is killed mid-dispatch and restarted", async () => {
    replicas[0]!.worker({ handlers: { "js.crash": async () => "ok" } });
    replicas[1]!.worker({ handlers: { "js.crash": async () => "ok" } });
    const before = await replicas[0]!.client.createTasks(Array.from({ length: 20 }, () => ({ type: "js.crash" })));
    await nats.kill();
    const during = await replicas[0]!.client.createTasks(Array.from({ length: 20 }, () => ({ type: "js.crash", schedule: schedules.after(200) })));
    await new Promise((r) => setTimeout(r, 1_000));
    await nats.start();
    for (const task of [...before, ...during]) {
      const { runs } = await eventually(() => replicas[0]!.client.runs({ taskId: task.id }), (r) => r.runs[0]?.state === RunState.SUCCEEDED, 30_000);
      expect(runs).toHaveLength(1);
    }
  });
});
