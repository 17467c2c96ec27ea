// The whole distributed path under a leader crash, with real processes: two `taskplane serve`
// replicas with etcd leadership and JetStream dispatch, workers failing over between them, and a
// few thousand one-time runs falling due over 30 s while the leader is killed (SIGKILL) a third of
// the way in. Afterwards, from Postgres: every run succeeded exactly once (bar attempts that timed
// out), and the lateness of the runs due around the failover is reported.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { schedules, Worker } from "@taskplane/sdk";
import { isLeader, startReplicaProcess, type ControlPlaneProcess } from "../harness/control-plane-process.js";
import { fenceToken, withDb } from "../harness/db.js";
import { eventually } from "../harness/eventually.js";
import { startTestEtcd, type TestEtcd } from "../harness/etcd.js";
import { startTestNats, type TestNats } from "../harness/nats.js";
import { createTestDatabase } from "../harness/postgres.js";
import { ACK_WAIT_MS } from "../../src/dispatch/jetstream-queue.js";

const RUNS = 3_000;
const SPREAD_MS = 30_000;
const TTL_SECONDS = 2;

describe("cluster faults", () => {
  let etcd: TestEtcd;
  let nats: TestNats;
  const processes: ControlPlaneProcess[] = [];
  const workers: Worker[] = [];

  beforeAll(async () => {
    [etcd, nats] = await Promise.all([startTestEtcd(), startTestNats()]);
  });
  afterAll(async () => {
    await Promise.allSettled(workers.map((w) => w.shutdown()));
    await Promise.allSettled(processes.map((p) => p.stop()));
    await Promise.allSettled([etcd.stop(), nats.stop()]);
  });

  it("loses no run when the leader is killed while thousands fall due", async () => {
    const databaseUrl = await createTestDatabase(inject("pgUrl"));
    for (let i = 0; i < 2; i++) {
      processes.push(
        await startReplicaProcess(databaseUrl, { etcd: etcd.endpoint, nats: nats.url, leaderTtlSeconds: TTL_SECONDS }),
      );
    }
    const addresses = processes.map((p) => p.address);
    for (let i = 0; i < 2; i++) {
      // Each worker prefers a different replica and fails over to the other.
      const w = Worker.create({
        address: i === 0 ? addresses : [...addresses].reverse(),
        workerId: `worker-${i}`,
        concurrency: 200,
        handlers: { "cluster.run": async () => "done" },
        handleSignals: false,
        pollWaitMs: 1_000,
        onWarning: () => {},
      });
      workers.push(w);
      void w.run();
    }
    const leaderBefore = await fenceToken(databaseUrl);
    const start = Date.now() + 3_000;
    const client = processes[1]!.client;
    for (let i = 0; i < RUNS; i += 1_000) {
      await client.createTasks(
        Array.from({ length: 1_000 }, (_, k) => ({
          type: "cluster.run",
          timeouts: { heartbeat: { seconds: 2n } },
          retryPolicy: { initialBackoff: { nanos: 50_000_000 } },
          schedule: schedules.at(new Date(start + ((i + k) * SPREAD_MS) / RUNS)),
        })),
      );
    }
    // Kill the leader a third of the way in: the first replica, which campaigned first, unless a
    // busy machine made it miss its lease and the other took over.
    await new Promise((r) => setTimeout(r, start + SPREAD_MS / 3 - Date.now()));
    const leads = await eventually(() => Promise.all(processes.map(isLeader)), (l) => l.filter(Boolean).length === 1, 10_000);
    const [leader, survivor] = leads[0] ? processes : [...processes].reverse();
    leader!.signal("SIGKILL");
    const killedAt = Date.now();
    await eventually(() => countRuns(databaseUrl, "SUCCEEDED"), (n) => n >= RUNS, SPREAD_MS + 60_000);

    const report = await withDb(databaseUrl, async (db) => {
      const { rows } = await db.query<{ runs: number; once: number; tokens_grew: boolean; p50: number; p99: number; max: number }>(
        `SELECT count(*)::int AS runs,
                count(*) FILTER (WHERE (SELECT count(*) FROM jsonb_array_elements(attempts) a WHERE a->>'outcome' = 'SUCCEEDED') = 1)::int AS once,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM start_time - scheduled_time) * 1000) AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM start_time - scheduled_time) * 1000) AS p99,
                max(extract(epoch FROM start_time - scheduled_time) * 1000)::float8 AS max,
                true AS tokens_grew
           FROM runs WHERE scheduled_time BETWEEN $1 AND $2`,
        [new Date(killedAt - 1_000), new Date(killedAt + 2 * TTL_SECONDS * 1000)],
      );
      return rows[0]!;
    });
    console.log(
      `runs due around the failover: ${report.runs}; start lateness p50 ${Math.round(report.p50)} ms, p99 ${Math.round(report.p99)} ms, max ${Math.round(report.max)} ms (TTL ${TTL_SECONDS} s)`,
    );
    const all = await withDb(databaseUrl, async (db) =>
      (
        await db.query<{ runs: number; succeeded_once: number }>(
          `SELECT count(*)::int AS runs,
                  count(*) FILTER (WHERE state = 'SUCCEEDED'
                    AND (SELECT count(*) FROM jsonb_array_elements(attempts) a WHERE a->>'outcome' = 'SUCCEEDED') = 1
                    AND (SELECT count(*) FROM jsonb_array_elements(attempts) a WHERE a->>'outcome' NOT IN ('SUCCEEDED', 'TIMED_OUT')) = 0)::int AS succeeded_once
             FROM runs`,
        )
      ).rows[0]!,
    );
    expect(all).toEqual({ runs: RUNS, succeeded_once: RUNS });
    expect(await fenceToken(databaseUrl)).toBeGreaterThan(leaderBefore);
    // Runs the dead replica had buffered come back after the ack wait; the rest within TTL + 2 s.
    expect(report.max).toBeLessThan(ACK_WAIT_MS + TTL_SECONDS * 1000 + 2_000);
    // Failover: when the surviving replica logged that it leads.
    const leading = survivor!.output.lines
      .map((l) => JSON.parse(l) as { msg?: string; time?: number })
      .find((l) => l.msg === "scheduler leading" && (l.time ?? 0) > killedAt);
    const firstFireAfterKill = leading!.time!;
    console.log(`failover: the surviving replica leads ${firstFireAfterKill - killedAt} ms after the kill`);
    expect(firstFireAfterKill - killedAt).toBeLessThan(TTL_SECONDS * 1000 + 2_000);
  });
});

async function countRuns(url: string, state: string): Promise<number> {
  return withDb(url, async (db) => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM runs WHERE state = $1", [state])).rows[0]!.n);
}
