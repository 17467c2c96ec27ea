// Leader faults with real processes: two `taskplane serve --etcd` replicas on one Postgres; the
// leader is killed (SIGKILL) or paused past its lease (SIGSTOP, then SIGCONT). Afterwards, from
// Postgres: every scheduled time has exactly one run, no fire was lost, and fence tokens grew.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { RunState, schedules, Worker } from "@taskplane/sdk";
import { isLeader, startReplicaProcess, type ControlPlaneProcess } from "../harness/control-plane-process.js";
import { fenceToken, withDb } from "../harness/db.js";
import { eventually } from "../harness/eventually.js";
import { startTestEtcd, type TestEtcd } from "../harness/etcd.js";
import { createTestDatabase } from "../harness/postgres.js";

const TTL_SECONDS = 2;

describe("leader faults", () => {
  let etcd: TestEtcd;
  const processes: ControlPlaneProcess[] = [];
  const workers: Worker[] = [];

  beforeAll(async () => {
    etcd = await startTestEtcd();
  });
  afterEach(async () => {
    await Promise.allSettled(workers.splice(0).map((w) => w.shutdown()));
    await Promise.allSettled(processes.splice(0).map((p) => p.stop()));
  });
  afterAll(() => etcd.stop());

  /** Two replicas on a fresh database, each with a worker named after it. */
  async function cluster() {
    const databaseUrl = await createTestDatabase(inject("pgUrl"));
    const replicas: { cp: ControlPlaneProcess; worker: Worker }[] = [];
    for (let i = 0; i < 2; i++) {
      const cp = await startReplicaProcess(databaseUrl, { etcd: etcd.endpoint, leaderTtlSeconds: TTL_SECONDS });
      processes.push(cp);
      const worker = Worker.create({
        address: cp.address,
        workerId: `worker-${i}`,
        handlers: { "fault.tick": async () => "tick" },
        handleSignals: false,
        pollWaitMs: 1_000,
        onWarning: () => {},
      });
      workers.push(worker);
      void worker.run();
      replicas.push({ cp, worker });
    }
    const { task } = await replicas[0]!.cp.client.createTask({
      type: "fault.tick",
      schedule: schedules.every(1_000),
      timeouts: { heartbeat: { seconds: 1n } },
    });
    const taskId = task!.id;
    const succeeded = () => replicas[0]!.cp.client.runs({ taskId, state: RunState.SUCCEEDED, pageSize: 200 });
    await eventually(succeeded, (r) => r.runs.length >= 2, 20_000);
    const leads = await eventually(() => Promise.all(replicas.map((r) => isLeader(r.cp))), (l) => l.filter(Boolean).length === 1, 10_000);
    const leaderIndex = leads.indexOf(true);
    return { databaseUrl, taskId, replicas, leader: replicas[leaderIndex]!, follower: replicas[1 - leaderIndex]!, followerIndex: 1 - leaderIndex };
  }

  /** Waits until the follower's worker has run a fire scheduled after `since`; returns that run's scheduled time. */
  async function takenOver(c: Awaited<ReturnType<typeof cluster>>, since: number): Promise<number> {
    const { runs } = await eventually(
      () => c.follower.cp.client.runs({ taskId: c.taskId, state: RunState.SUCCEEDED, pageSize: 200 }),
      (r) => r.runs.some((x) => scheduledMs(x) > since && x.attempts[0]!.workerId === `worker-${c.followerIndex}`),
      30_000,
    );
    return Math.min(...runs.filter((x) => scheduledMs(x) > since).map(scheduledMs));
  }

  it("fails over within the TTL plus 2 s when the leader is killed, losing no fire", async () => {
    const c = await cluster();
    const tokenBefore = await fenceToken(c.databaseUrl);
    c.leader.cp.signal("SIGKILL");
    const killedAt = Date.now();
    await c.leader.worker.shutdown();
    const firstAfter = await takenOver(c, killedAt);
    const failoverMs = (await firstFireAfter(c.databaseUrl, c.taskId, killedAt)) - killedAt;
    console.log(`failover after SIGKILL: first fire ${failoverMs} ms after the kill (TTL ${TTL_SECONDS} s)`);
    expect(failoverMs).toBeLessThan(TTL_SECONDS * 1000 + 2_000);
    expect(firstAfter).toBeGreaterThan(killedAt);
    expect(await fenceToken(c.databaseUrl)).toBeGreaterThan(tokenBefore);
    await expectOneRunPerSecond(c.databaseUrl, c.taskId);
  });

  it("refuses the writes of a leader paused past its lease, which then steps down", async () => {
    const c = await cluster();
    const tokenBefore = await fenceToken(c.databaseUrl);
    c.leader.cp.signal("SIGSTOP");
    const stoppedAt = Date.now();
    await takenOver(c, stoppedAt);
    const tokenAfter = await fenceToken(c.databaseUrl);
    expect(tokenAfter).toBeGreaterThan(tokenBefore);
    c.leader.cp.signal("SIGCONT");
    // The resumed process notices it no longer holds the lease and stops leading.
    await eventually(async () => c.leader.cp.output.lines.some((l) => l.includes("stopped leading")), (seen) => seen, 10_000);
    await new Promise((r) => setTimeout(r, 2_000)); // let it try anything it still would
    expect(await fenceToken(c.databaseUrl)).toBe(tokenAfter);
    await expectOneRunPerSecond(c.databaseUrl, c.taskId);
    // Every fire after the takeover was written under the new leader's token.
    const stale = await withDb(c.databaseUrl, (db) =>
      db.query("SELECT count(*)::int AS n FROM runs WHERE task_id = $1 AND scheduled_time > $2 AND fence_token < $3", [
        c.taskId,
        new Date(stoppedAt + TTL_SECONDS * 1000 + 2_000),
        tokenAfter.toString(),
      ]),
    );
    expect(stale.rows[0].n).toBe(0);
  });
});

describe("three candidates", () => {
  it("never has two leaders when the middle candidate is killed", async () => {
    const etcd = await startTestEtcd();
    const databaseUrl = await createTestDatabase(inject("pgUrl"));
    const started: ControlPlaneProcess[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        started.push(
          await startReplicaProcess(databaseUrl, { etcd: etcd.endpoint, leaderTtlSeconds: TTL_SECONDS }),
        );
      }
      const [first, middle, last] = started as [ControlPlaneProcess, ControlPlaneProcess, ControlPlaneProcess];
      middle.signal("SIGKILL");
      await new Promise((r) => setTimeout(r, TTL_SECONDS * 1000 + 1_500)); // the middle one's lease expires
      const leadingSince = (p: ControlPlaneProcess) =>
        p.output.lines.map((l) => JSON.parse(l) as { msg?: string; time: number }).find((l) => l.msg === "scheduler leading")?.time;
      expect(leadingSince(last)).toBeUndefined(); // the first still leads: the last must not
      const firstStopped = Date.now();
      await first.stop();
      await eventually(async () => leadingSince(last), (t) => t !== undefined, 10_000);
      expect(leadingSince(last)!).toBeGreaterThanOrEqual(firstStopped);
    } finally {
      await Promise.allSettled(started.map((p) => p.stop()));
      await etcd.stop();
    }
  });
});

describe("etcd outages", () => {
  // Runs in its own describe so the etcd it kills serves no other test.
  it("keeps at most one leader through a short and a long etcd outage, and scheduling resumes", async () => {
    const etcd = await startTestEtcd();
    const databaseUrl = await createTestDatabase(inject("pgUrl"));
    const started: ControlPlaneProcess[] = [];
    const running: Worker[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const cp = await startReplicaProcess(databaseUrl, { etcd: etcd.endpoint, leaderTtlSeconds: TTL_SECONDS });
        started.push(cp);
        const w = Worker.create({ address: cp.address, handlers: { "fault.tick": async () => "tick" }, handleSignals: false, pollWaitMs: 1_000, onWarning: () => {} });
        running.push(w);
        void w.run();
      }
      const client = started[0]!.client;
      const { task } = await client.createTask({ type: "fault.tick", schedule: schedules.every(1_000) });
      const succeededAfter = (t: number) =>
        eventually(() => client.runs({ taskId: task!.id, state: RunState.SUCCEEDED, pageSize: 200 }), (r) => r.runs.some((x) => scheduledMs(x) > t), 30_000);
      await succeededAfter(Date.now());
      for (const outageMs of [500, 5_000]) {
        await etcd.kill();
        await new Promise((r) => setTimeout(r, outageMs));
        await etcd.start();
        await succeededAfter(Date.now());
      }
      await expectOneRunPerSecond(databaseUrl, task!.id);
    } finally {
      await Promise.allSettled(running.map((w) => w.shutdown()));
      await Promise.allSettled(started.map((p) => p.stop()));
      await etcd.stop();
    }
  });
});

const scheduledMs = (r: { scheduledTime?: { seconds: bigint; nanos: number } }) =>
  Number(r.scheduledTime!.seconds) * 1000 + r.scheduledTime!.nanos / 1e6;

/** When the first run scheduled after `since` was fired, as Postgres recorded it. */
async function firstFireAfter(url: string, taskId: string, since: number): Promise<number> {
  return withDb(url, async (db) => {
    const { rows } = await db.query<{ fire: Date }>(
      "SELECT fire_time AS fire FROM runs WHERE task_id = $1 AND scheduled_time > $2 AND fire_time IS NOT NULL ORDER BY scheduled_time LIMIT 1",
      [taskId, new Date(since)],
    );
    return rows[0]!.fire.getTime();
  });
}

/** Every second from the first fire to the last has exactly one run: none twice, none lost. */
async function expectOneRunPerSecond(url: string, taskId: string): Promise<void> {
  const times = await withDb(url, async (db) =>
    (await db.query<{ t: Date }>("SELECT scheduled_time AS t FROM runs WHERE task_id = $1 ORDER BY scheduled_time", [taskId])).rows.map((r) =>
      r.t.getTime(),
    ),
  );
  expect(new Set(times).size).toBe(times.length);
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1_000);
}
