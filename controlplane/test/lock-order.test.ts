// The order in which writes lock tasks and runs, so that they wait for each other but never
// deadlock. A fire plan locks its tasks before their runs, as cancel, pause and resume do, and it
// leaves to a poll's claim the runs the claim holds, rather than waiting for them. A cancel locks
// its runs in id order, as batches do, and holds its task without stopping the foreign-key checks
// of runs inserted for it.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schedules } from "@taskplane/sdk";
import { PgStore } from "../src/store/pg/pg-store.js";
import type { FirePlan } from "../src/store/store.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("lock order", () => {
  let tp: TestControlPlane;
  let store: PgStore;
  /** One-time tasks due in an hour, each with its first run: created, then the control plane is stopped. */
  let tasks: { taskId: string; runId: string }[];
  let other: pg.Client;
  beforeAll(async () => {
    tp = await startTestControlPlane();
    const at = schedules.at(new Date(Date.now() + 3_600_000));
    const created = await Promise.all([0, 1, 2, 3, 4].map(() => tp.client.createTask({ type: "locked", queue: "nobody", schedule: at })));
    tasks = created.map(({ task, firstRun }) => ({ taskId: task!.id, runId: firstRun!.id }));
    await tp.stop();
    store = await PgStore.open({ url: tp.databaseUrl });
    other = new pg.Client({ connectionString: tp.databaseUrl });
    await other.connect();
  });
  afterAll(async () => {
    await other?.end();
    await store?.close();
    await tp.stop();
  });

  it("take a task before its runs, so a cancel in between does not deadlock with the fire", async () => {
    const { taskId, runId } = tasks[0]!;
    // A cancel's first step: the task, locked.
    await other.query("BEGIN");
    await other.query("SELECT id FROM tasks WHERE id = $1 FOR UPDATE", [taskId]);
    const plan: FirePlan = { queue: [runId], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [{ taskId, completed: true }] };
    const fire = store.applyFirePlan(plan, new Date(), 1n).then(
      (queued) => queued.map((r) => r.id),
      (e: Error) => e.message,
    );
    await eventually(lockWaiters, (n) => n === 1);
    // Its second: the task's pending runs. The fire waits for the task and holds none of them.
    await other.query("UPDATE runs SET state = 'CANCELLED', end_time = now() WHERE task_id = $1 AND state = 'SCHEDULED'", [taskId]);
    await other.query("COMMIT");
    expect(await fire).toEqual([]);
  });

  it("queue the runs no claim holds and leave the held one to its claim, without waiting for it", async () => {
    const [free, held] = [tasks[1]!.runId, tasks[2]!.runId];
    // A poll's claim, under way: the run's row taken towards RUNNING, not yet committed.
    await other.query("BEGIN");
    await other.query("UPDATE runs SET state = 'RUNNING', attempt = attempt + 1, worker_id = 'w', start_time = now() WHERE id = $1", [held]);
    const plan: FirePlan = { queue: [free, held], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [] };
    const fire = store.applyFirePlan(plan, new Date(), 1n).then((queued) => queued.map((r) => r.id));
    const first = await Promise.race([fire, new Promise((r) => setTimeout(() => r("still waiting for the claim's row"), 3_000))]);
    await other.query("COMMIT");
    expect(first).toEqual([free]);
    const { rows } = await other.query<{ id: string; state: string }>("SELECT id, state FROM runs WHERE id = ANY($1::uuid[])", [plan.queue]);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.state]))).toEqual({ [free]: "QUEUED", [held]: "RUNNING" });
  });

  it("cancel a task's runs in id order, so a batch locking them in that order does not deadlock with it", async () => {
    const { taskId } = tasks[3]!;
    // Two more runs, the later one in time the lower in id: the task's own order is not id order.
    const [low, high] = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"];
    await store.insertRun(manualRun(high, taskId, new Date(Date.now() + 10 * 60_000)));
    await store.insertRun(manualRun(low, taskId, new Date(Date.now() + 20 * 60_000)));
    // A batch (claims, fire plans, reports) under way takes its first run in id order, then its
    // second: the cancel, waiting for the first, holds none of the others.
    expect(await interleave(lockRun(low), () => cancelTask(taskId), lockRun(high))).toBe(3);
  });

  it("hold a cancelled task without stopping the foreign-key check of a run inserted for it", async () => {
    const { taskId, runId } = tasks[4]!;
    // A backfill under way holds the task's scheduled run (its ON CONFLICT met it), then inserts a
    // new run, whose foreign key takes this lock on the task the cancel holds.
    const foreignKeyCheck = { sql: "SELECT 1 FROM tasks WHERE id = $1 FOR KEY SHARE", id: taskId };
    expect(await interleave(lockRun(runId), () => cancelTask(taskId), foreignKeyCheck)).toBe(1);
  });

  type Lock = { sql: string; id: string };
  const lockRun = (id: string): Lock => ({ sql: "SELECT id FROM runs WHERE id = $1 FOR NO KEY UPDATE", id });

  /**
   * Another transaction takes `first`, `write` starts, and once it waits for a lock the other takes
   * `second` and commits: the write's result, or its error's message (a deadlock's victim).
   */
  async function interleave<T>(first: Lock, write: () => Promise<T>, second: Lock): Promise<T | string> {
    await other.query("BEGIN");
    await other.query(first.sql, [first.id]);
    const written = write().catch((e: Error) => e.message);
    await eventually(lockWaiters, (n) => n === 1);
    await other.query(second.sql, [second.id]);
    await other.query("COMMIT");
    return written;
  }

  const manualRun = (id: string, taskId: string, scheduledTime: Date) =>
    ({ id, namespace: "default", taskId, taskType: "locked", queue: "nobody", priority: "NORMAL", trigger: "MANUAL", scheduledTime, maxAttempts: 1 }) as const;

  /** Cancels through the store; the number of runs cancelled. */
  const cancelTask = (taskId: string) =>
    store
      .changeTaskState({ taskId, from: ["ACTIVE"], to: "CANCELLED", now: new Date(), cancelRuns: { reason: "test", onlyScheduled: false } })
      .then((r) => r?.cancelledRuns);

  const lockWaiters = async () =>
    (await other.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0]!.n;
});
