// (b) Lateness: one-time tasks all scheduled for the same instant T a few seconds ahead, with
// workers already polling and enough concurrency for all of them. How late each starts, seen by
// the handler and by Postgres. Baseline: as many setTimeouts due at one instant in this process.
import pg from "pg";
import { schedules, type TaskplaneClient } from "@taskplane/sdk";
import {
  PEER_REFERENCE,
  Warnings,
  countInState,
  createInBatches,
  envInt,
  fmt,
  freshDatabase,
  percentiles,
  printDiagnostics,
  printTable,
  round,
  sleep,
  startMeter,
  startWorkerProcesses,
  startWorkers,
  verifyRuns,
  waitUntil,
  warnIfUncleanExit,
  type Percentiles,
  type ScenarioResult,
  type Usage,
} from "./common.js";
import { startDeployment } from "./deployment.js";

const TASKS = envInt("TASKPLANE_BENCH_LATENESS_TASKS", 2_000);
const WORKERS = envInt("TASKPLANE_BENCH_LATENESS_WORKERS", 4);
const CONCURRENCY = envInt("TASKPLANE_BENCH_LATENESS_CONCURRENCY", 500);
const LEAD_MS = 5_000;

/**
 * Where the workers run: all in the bench process (one event loop starts and reports every run),
 * or each in a process of its own, as workers are deployed.
 */
type Placement = "bench process" | "own processes";

export async function lateness(serverUrl: string): Promise<ScenarioResult> {
  console.log(
    `\n== lateness: ${fmt(TASKS)} one-time tasks due at one instant T = now + ${LEAD_MS / 1000} s (after one unmeasured warm-up round), ${WORKERS} workers x ${CONCURRENCY} concurrency,` +
      " first in the bench process, then each in a process of its own",
  );
  const db = await freshDatabase(serverUrl);
  try {
    // First, while this process is otherwise idle, so the floor is the event loop's own.
    const timers = await timerBaseline();
    const tp = await scheduleAtOnce(db.url, "bench process");
    const apart = await scheduleAtOnce(db.url, "own processes");
    const { counts, failures } = await verifyRuns(db.url, 4 * TASKS);
    failures.push(...tp.failures, ...apart.failures);
    const row = (label: string, p: Percentiles) => [label, fmt(p.n), fmt(p.p50, 1), fmt(p.p99, 1), fmt(p.max, 1)];
    printTable(`Lateness (${fmt(TASKS)} runs due at the same instant), ms`, ["measurement", "n", "p50", "p99", "max"], [
      row("Taskplane, handler: Date.now() - ctx.scheduledTime, workers in the bench process", tp.handler),
      row("  workers each in a process of its own", apart.handler),
      row("Taskplane, Postgres: start_time - scheduled_time, workers in the bench process", tp.serverStart),
      row("  workers each in a process of its own", apart.serverStart),
      row("  Postgres: fire_time - scheduled_time, workers in the bench process", tp.serverFire),
      row("    workers each in a process of its own", apart.serverFire),
      row(`Baseline: ${fmt(TASKS)} setTimeouts due at one instant`, timers),
      ["BullMQ 6 (reference, not measured here)", "", "", `~${fmt(PEER_REFERENCE.bullmq6.p99LatenessMs)}`, ""],
      ["graphile-worker 0.17 tuned (reference, not measured here)", "", "", `~${fmt(PEER_REFERENCE.graphileWorker017Tuned.p99LatenessMs)}`, ""],
    ]);
    for (const round of [tp, apart]) {
      console.log(`  workers in the ${round.placement}: creates finished ${fmt(round.createdBeforeTMs)} ms before T`);
      printDiagnostics(round.usage, round.controlPlane, round.warnings);
      console.log(`  control plane took ${round.exit.stopMs} ms to stop after SIGTERM`);
      warnIfUncleanExit(round.exit);
    }
    console.log(`  Postgres afterwards: ${JSON.stringify(counts)}`);
    const figuresOf = ({ controlPlane, warnings, failures: _, ...figures }: typeof tp) => ({
      ...figures,
      workerWarnings: warnings.count,
      controlPlaneOutputLines: controlPlane.output.total,
    });
    return {
      figures: {
        tasks: TASKS,
        workers: WORKERS,
        concurrency: CONCURRENCY,
        leadMs: LEAD_MS,
        taskplane: figuresOf(tp),
        taskplaneWorkerProcesses: figuresOf(apart),
        baselineSetTimeout: timers,
        postgresCounts: counts,
      },
      failures,
    };
  } finally {
    await db.drop();
  }
}

async function timerBaseline(): Promise<Percentiles> {
  const due = Date.now() + 1_000;
  const late: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error("setTimeout baseline did not finish within 10 s")), 10_000);
    for (let i = 0; i < TASKS; i++)
      setTimeout(() => {
        late.push(Date.now() - due);
        if (late.length < TASKS) return;
        clearTimeout(guard);
        resolve();
      }, due - Date.now());
  });
  return percentiles(late);
}

async function scheduleAtOnce(databaseUrl: string, placement: Placement) {
  const cp = await startDeployment(databaseUrl);
  const warnings = new Warnings();
  const late: number[] = [];
  let workers: { stop(): Promise<void> } | undefined;
  let usage: Usage | undefined;
  try {
    let warmedUp = 0;
    // The measured round is told apart from the warm-up by its scheduled instant.
    let measuredAt = Infinity;
    const started = (scheduled: number, lateMs: number) => (scheduled === measuredAt ? late.push(lateMs) : warmedUp++);
    workers =
      placement === "bench process"
        ? startWorkers(
            cp.addresses,
            WORKERS,
            CONCURRENCY,
            async (_payload, ctx) => {
              const scheduled = ctx.scheduledTime.getTime();
              started(scheduled, Date.now() - scheduled);
            },
            warnings,
          )
        : startWorkerProcesses(cp.addresses, WORKERS, CONCURRENCY, started, warnings);
    await sleep(1_000); // workers polling before anything is scheduled
    // One unmeasured round first, so the figures are of a warm process rather than of the JIT.
    await createAllAt(cp.client, new Date(Date.now() + 2_000));
    await waitUntil("the warm-up round", () => warmedUp, (n) => n >= TASKS, 60_000);
    const meter = startMeter(cp.pid);
    const at = new Date(Date.now() + LEAD_MS);
    measuredAt = at.getTime();
    await createAllAt(cp.client, at);
    const createdBeforeTMs = at.getTime() - Date.now();
    const failures = createdBeforeTMs > 0 ? [] : [`creates finished ${-createdBeforeTMs} ms after T; lateness is not meaningful`];
    await waitUntil("every handler to run", () => late.length, (n) => n >= TASKS, LEAD_MS + 60_000);
    const watcher = new pg.Client({ connectionString: databaseUrl });
    await watcher.connect();
    try {
      await waitUntil("all runs SUCCEEDED in Postgres", () => countInState(watcher, "SUCCEEDED"), (n) => n >= 2 * TASKS, 30_000);
      usage = meter();
      const serverStart = await serverLateness(watcher, "start_time", at);
      const serverFire = await serverLateness(watcher, "fire_time", at);
      await workers.stop();
      return {
        placement,
        handler: percentiles(late),
        handlerCalls: late.length,
        serverStart,
        serverFire,
        createdBeforeTMs,
        failures,
        usage,
        warnings,
        controlPlane: cp,
        exit: await cp.stop(),
      };
    } finally {
      await watcher.end();
    }
  } catch (e) {
    printDiagnostics(usage, cp, warnings);
    throw e;
  } finally {
    await workers?.stop();
    await cp.stop();
  }
}

function createAllAt(client: TaskplaneClient, at: Date): Promise<void> {
  return createInBatches(client, TASKS, () => ({ type: "noop", schedule: schedules.at(at) }));
}

/** Percentiles of `column - scheduled_time` in ms over the measured round, computed by Postgres (percentile_cont). */
async function serverLateness(c: pg.Client, column: "start_time" | "fire_time", measuredAt: Date): Promise<Percentiles> {
  const { rows } = await c.query<{ n: number; p50: number | null; p99: number | null; max: number | null }>(
    `SELECT count(ms)::int AS n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
            max(ms) AS max
       FROM (SELECT extract(epoch FROM r.${column} - r.scheduled_time)::float8 * 1000 AS ms
               FROM runs r WHERE r.scheduled_time = $1) AS s`,
    [measuredAt],
  );
  const r = rows[0]!;
  return { n: r.n, p50: round(r.p50 ?? NaN, 1), p99: round(r.p99 ?? NaN, 1), max: round(r.max ?? NaN, 1) };
}
