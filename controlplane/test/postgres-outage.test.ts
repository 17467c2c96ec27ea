// Postgres going away and coming back, on a single node and under two replicas with etcd and
// JetStream: the API answers UNAVAILABLE meanwhile, nothing is marked done without its result,
// and every run that fell due during the outage runs once afterwards.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, RunState, schedules } from "@taskplane/sdk";
import type { Config } from "../src/config.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { startTestEtcd } from "./harness/etcd.js";
import { startTestNats } from "./harness/nats.js";
import { startOwnTestPostgres, type OwnTestPostgres } from "./harness/postgres.js";
import type { TestService } from "./harness/service-process.js";

const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);

describe.each([
  { deployment: "single node", clustered: false },
  { deployment: "two replicas with etcd and JetStream", clustered: true },
])("Postgres outage ($deployment)", ({ clustered }) => {
  let postgres: OwnTestPostgres;
  let tp: TestControlPlane;
  let follower: TestControlPlane | undefined;
  const services: TestService[] = [];

  beforeAll(async () => {
    postgres = await startOwnTestPostgres();
    let config: Partial<Config> = {};
    if (clustered) {
      const [etcd, nats] = await Promise.all([startTestEtcd(), startTestNats()]);
      services.push(etcd, nats);
      config = { etcdEndpoints: [etcd.endpoint], natsServers: [nats.url], leaderTtlSeconds: 2 };
    }
    tp = await startTestControlPlane({ misfireMs: 60_000 }, { serverUrl: postgres.url, config });
    if (clustered) {
      follower = await startTestControlPlane({ misfireMs: 60_000 }, { databaseUrl: tp.databaseUrl, config });
      follower.worker({ handlers: { "outage.work": async () => "done" } });
    }
    tp.worker({ handlers: { "outage.work": async () => "done" } });
  });
  afterAll(async () => {
    await Promise.allSettled([tp.stop(), follower?.stop()]);
    await Promise.allSettled(services.map((s) => s.stop()));
    await postgres.stop();
  });

  it("answers UNAVAILABLE while Postgres is down and runs everything due meanwhile once it is back", async () => {
    const { task } = await tp.client.createTask({ type: "outage.work", schedule: schedules.every(1_000) });
    const oneTime = await tp.client.createTasks(Array.from({ length: 20 }, () => ({ type: "outage.work", schedule: schedules.after(1_500) })));
    await eventually(() => tp.client.runs({ taskId: task!.id, state: RunState.SUCCEEDED }), (r) => r.runs.length >= 1);

    await postgres.down();
    const downAt = Date.now();
    const err = await tp.client.get(task!.id).catch((e) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    await new Promise((r) => setTimeout(r, 2_000)); // the outage under test: the one-time runs fall due in it
    await postgres.up();

    for (const t of oneTime) {
      const { runs } = await eventually(() => tp.client.runs({ taskId: t.id }), (r) => r.runs[0]?.state === RunState.SUCCEEDED);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.attempt).toBeGreaterThanOrEqual(1);
    }
    const { runs } = await eventually(
      () => tp.client.runs({ taskId: task!.id, pageSize: 200 }),
      (r) => r.runs.some((x) => ms(x.scheduledTime) > downAt + 2_000 && x.state === RunState.SUCCEEDED),
    );
    await tp.client.cancel(task!.id);
    const times = runs.map((r) => ms(r.scheduledTime));
    expect(new Set(times).size).toBe(times.length);
    // Nothing finished without a result: every SUCCEEDED run has its output and a finished attempt.
    for (const r of runs.filter((x) => x.state === RunState.SUCCEEDED)) {
      expect(r.output?.data.length).toBeGreaterThan(0);
      expect(r.attempts.at(-1)!.outcome).toBe(2); // ATTEMPT_OUTCOME_SUCCEEDED
    }
  });
});
