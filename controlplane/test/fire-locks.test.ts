// A fire plan locks its tasks before their runs, as cancel, pause and resume do: a cancel holding
// a task and then changing its runs never deadlocks with the task's fire.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { schedules } from "@taskplane/sdk";
import { PgStore } from "../src/store/pg/pg-store.js";
import type { FirePlan } from "../src/store/store.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("fire plan locks", () => {
  let tp: TestControlPlane;
  let store: PgStore;
  beforeAll(async () => {
    tp = await startTestControlPlane();
  });
  afterAll(async () => {
    await store?.close();
    await tp.stop();
  });

  it("take a task before its runs, so a cancel in between does not deadlock with the fire", async () => {
    const { task, firstRun } = await tp.client.createTask({ type: "locked", queue: "nobody", schedule: schedules.at(new Date(Date.now() + 3_600_000)) });
    await tp.stop();
    store = await PgStore.open({ url: tp.databaseUrl });
    const cancel = new pg.Client({ connectionString: tp.databaseUrl });
    await cancel.connect();
    try {
      // A cancel's first step: the task, locked.
      await cancel.query("BEGIN");
      await cancel.query("SELECT id FROM tasks WHERE id = $1 FOR UPDATE", [task!.id]);
      const plan: FirePlan = { queue: [firstRun!.id], skip: [], cancel: [], cancelPrevious: [], next: [], tasks: [{ taskId: task!.id, completed: true }] };
      const fire = store.applyFirePlan(plan, new Date(), 1n).then(
        (queued) => queued.map((r) => r.id),
        (e: Error) => e.message,
      );
      await eventually(
        async () => (await cancel.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows[0]!.n,
        (n) => n === 1,
      );
      // Its second: the task's pending runs. The fire waits for the task and holds none of them.
      await cancel.query("UPDATE runs SET state = 'CANCELLED', end_time = now() WHERE task_id = $1 AND state = 'SCHEDULED'", [task!.id]);
      await cancel.query("COMMIT");
      expect(await fire).toEqual([]);
    } finally {
      await cancel.end();
    }
  });
});
