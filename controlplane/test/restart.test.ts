// Downtime and restarts: fires missed while the control plane was down follow each task's
// catch-up policy and are recorded; `taskplane serve` shuts down cleanly on SIGTERM.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatchUpMode, Code, RunState, schedules, TaskplaneClient, type Run } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { codeOf } from "./harness/error-code.js";
import { freePort } from "../src/free-port.js";

const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);

describe("catch-up after downtime", () => {
  let tp: TestControlPlane;
  const handlers = { tick: async () => "tick" };

  beforeAll(async () => {
    tp = await startTestControlPlane({ misfireMs: 500 });
    tp.worker({ handlers });
  });
  afterAll(() => tp.stop());

  it("skips, runs the latest, or runs all missed fires per policy, and records every one", async () => {
    const every = (mode: CatchUpMode, maxRuns = 0, windowMs?: number) => {
      const window = windowMs === undefined ? undefined : { seconds: BigInt(windowMs / 1000) };
      return tp.client.createTask({ type: "tick", schedule: schedules.every(1_000, { catchUp: { mode, maxRuns, window } }) });
    };
    // The fourth gives no catch-up policy: the default is ONE. The last's window is shorter than the downtime.
    const byDefault = tp.client.createTask({ type: "tick", schedule: schedules.every(1_000) });
    const created = await Promise.all([every(CatchUpMode.SKIP), every(CatchUpMode.ONE), every(CatchUpMode.ALL, 2), byDefault, every(CatchUpMode.ALL, 100, 2_000)]);
    const ids = created.map((c) => c.task!.id);
    for (const id of ids) await eventually(() => tp.client.runs({ taskId: id, state: RunState.SUCCEEDED }), (r) => r.runs.length >= 1);

    await tp.stop();
    const downFrom = Date.now();
    await new Promise((r) => setTimeout(r, 4_000)); // the downtime under test
    const downUntil = Date.now();
    await tp.restart();
    tp.worker({ handlers });

    const missedRuns = async (taskId: string): Promise<Run[]> => {
      const { runs } = await tp.client.runs({ taskId, pageSize: 100 });
      return runs.filter((r) => ms(r.scheduledTime) > downFrom && ms(r.scheduledTime) < downUntil);
    };
    const settled = (runs: Run[]) => runs.length >= 3 && runs.every((r) => r.state === RunState.SKIPPED || r.state === RunState.SUCCEEDED);

    const skipped = await eventually(() => missedRuns(ids[0]!), settled);
    expect(skipped.every((r) => r.state === RunState.SKIPPED && r.reason.includes("catch-up policy SKIP"))).toBe(true);

    for (const id of [ids[1]!, ids[3]!]) {
      const latest = await eventually(() => missedRuns(id), settled);
      const ran = latest.filter((r) => r.state === RunState.SUCCEEDED);
      expect(ran).toHaveLength(1);
      expect(ms(ran[0]!.scheduledTime)).toBe(Math.max(...latest.map((r) => ms(r.scheduledTime))));
    }

    const allRuns = await eventually(() => missedRuns(ids[2]!), settled);
    expect(allRuns.filter((r) => r.state === RunState.SUCCEEDED)).toHaveLength(2);

    // Each second of the downtime has its run, whatever the policy and window: "did it run then?"
    // has an answer. Before the short window's start, the answer is no, and why.
    const missedTimes: number[] = [];
    for (let t = Math.floor(downFrom / 1000) * 1000 + 1000; t < downUntil; t += 1000) missedTimes.push(t);
    for (const id of ids) {
      const times = (await eventually(() => missedRuns(id), settled)).map((r) => ms(r.scheduledTime)).sort((a, b) => a - b);
      expect(times).toEqual(missedTimes);
    }
    const at = new Date(missedTimes[0]!);
    const { runs: [first, ...more] } = await tp.client.runs({ taskId: ids[4]!, scheduledFrom: at, scheduledTo: at });
    expect([first?.state, first?.reason, more.length]).toEqual([RunState.SKIPPED, "missed while the scheduler was down, before the catch-up window", 0]);
    const reversed = tp.client.runs({ taskId: ids[4]!, scheduledFrom: at, scheduledTo: new Date(missedTimes[0]! - 1) });
    expect(await codeOf(reversed)).toBe(Code.InvalidArgument);

    // Afterwards each schedule carries on, one run per scheduled time.
    for (const id of ids) {
      const { runs } = await eventually(
        () => tp.client.runs({ taskId: id, pageSize: 100 }),
        (r) => r.runs.some((x) => ms(x.scheduledTime) > downUntil && x.state === RunState.SUCCEEDED),
      );
      const times = runs.map((r) => ms(r.scheduledTime));
      expect(new Set(times).size).toBe(times.length);
      await tp.client.cancel(id);
    }
  });
});

describe("recovery of a lost next fire", () => {
  it("restores the next run of a recurring task whose fire was handed out but never written", async () => {
    const tp = await startTestControlPlane({ misfireMs: 60_000 });
    try {
      const { task } = await tp.client.createTask({ type: "tick", schedule: schedules.every(1_000) });
      await tp.stop();
      // What a crash between handing a run to a worker and writing its fire leaves behind: the
      // fired run was claimed (and here has finished), no next run exists, and the task's next
      // fire time is still that run's.
      const db = new pg.Client({ connectionString: tp.databaseUrl });
      await db.connect();
      // The first fire may have written its next run before the stop (runs are read ahead): that
      // is the write the crash lost.
      await db.query("DELETE FROM runs WHERE task_id = $1 AND scheduled_time > (SELECT min(scheduled_time) FROM runs WHERE task_id = $1)", [task!.id]);
      const fired = await db.query<{ scheduled_time: Date }>(
        `UPDATE runs SET state = 'SUCCEEDED', attempt = 1, end_time = now(), scheduled_time = date_trunc('second', now()) - interval '2 seconds',
                due_time = date_trunc('second', now()) - interval '2 seconds' WHERE task_id = $1 RETURNING scheduled_time`,
        [task!.id],
      );
      const lastFire = fired.rows[0]!.scheduled_time;
      await db.query("UPDATE tasks SET next_fire_time = $2 WHERE id = $1", [task!.id, lastFire]);
      await db.end();
      await tp.restart();
      tp.worker({ handlers: { tick: async () => "tick" } });
      const { runs } = await eventually(
        () => tp.client.runs({ taskId: task!.id, state: RunState.SUCCEEDED }),
        (r) => r.runs.length >= 2,
      );
      const times = runs.map((r) => ms(r.scheduledTime));
      expect(new Set(times).size).toBe(times.length);
      // The schedule carries on from the lost fire: the next one is the restored run.
      expect(times).toContain(lastFire.getTime() + 1_000);
      await tp.client.cancel(task!.id);
    } finally {
      await tp.stop();
    }
  });
});

describe("taskplane serve", () => {
  it("serves, then exits 0 on SIGTERM after finishing its work", async () => {
    const port = await freePort();
    const tp = await startTestControlPlane();
    await tp.stop();
    const bin = fileURLToPath(new URL("../bin/taskplane.js", import.meta.url));
    const child = spawn(process.execPath, [bin, "serve", "--insecure-no-auth", "--database", tp.databaseUrl, "--port", String(port), "--log-level", "warn"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const client = new TaskplaneClient({ address: `http://127.0.0.1:${port}`, retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 } });
    const { task } = await eventually(
      () => client.createTask({ type: "served", schedule: schedules.manual() }).catch(() => ({ task: undefined })),
      (r) => r.task !== undefined,
    );
    expect((await client.get(task!.id)).spec!.type).toBe("served");
    child.kill("SIGTERM");
    expect(await exited, stderr).toBe(0);
  });
});
