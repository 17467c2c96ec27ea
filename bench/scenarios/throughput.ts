// (a) Throughput: no-op tasks due now, created in batches (timed), then drained by SDK workers in
// this process, timed from the workers' start until Postgres holds every run as SUCCEEDED (the
// peers' "drain" figure). Baseline: the same Postgres inserting and then updating as many rows in
// batches, the floor any durable queue pays per job.
import { randomUUID } from "node:crypto";
import pg from "pg";
import {
  PEER_REFERENCE,
  Warnings,
  countInState,
  createInBatches,
  envInt,
  fmt,
  freshDatabase,
  printDiagnostics,
  printTable,
  round,
  startMeter,
  startWorkers,
  verifyRuns,
  waitUntil,
  warnIfUncleanExit,
  withDb,
  type ScenarioResult,
  type Usage,
} from "./common.js";
import { startDeployment } from "./deployment.js";

const TASKS = envInt("TASKPLANE_BENCH_THROUGHPUT_TASKS", 20_000);
const WORKERS = envInt("TASKPLANE_BENCH_THROUGHPUT_WORKERS", 2);
const CONCURRENCY = envInt("TASKPLANE_BENCH_THROUGHPUT_CONCURRENCY", 500);
const CREATE_BATCH = 1_000;
const UPDATE_BATCH = 500;
const DRAIN_TIMEOUT_MS = 120_000;

export async function throughput(serverUrl: string): Promise<ScenarioResult> {
  console.log(`\n== throughput: ${fmt(TASKS)} no-op tasks, ${WORKERS} workers x ${CONCURRENCY} concurrency`);
  const db = await freshDatabase(serverUrl);
  try {
    // The baseline runs first, on the same server, while nothing else competes for it.
    const floor = await durabilityFloor(db.url);
    const tp = await drain(db.url);
    const { counts, failures } = await verifyRuns(db.url, TASKS);
    if (tp.handlerCalls !== TASKS) failures.push(`handlers ran ${tp.handlerCalls} times for ${TASKS} runs`);
    const ratio = round(tp.runsPerSec / floor.rowsPerSec, 3);
    printTable(`Throughput (${fmt(TASKS)} runs)`, ["measurement", "per second", "elapsed ms", "vs baseline"], [
      ["Taskplane drain: workers start -> all runs SUCCEEDED", `${fmt(tp.runsPerSec)} runs/s`, fmt(tp.totalMs), `${ratio}x`],
      ["  all handlers returned at", "", fmt(tp.handlersDoneMs), ""],
      ["Taskplane create (batches of 1,000, before the drain)", `${fmt(tp.createPerSec)} tasks/s`, fmt(tp.createMs), ""],
      ["Baseline: pg INSERT x1,000 + UPDATE x500 by id", `${fmt(floor.rowsPerSec)} rows/s`, fmt(floor.totalMs), "1x"],
      ["  of which INSERT", "", fmt(floor.insertMs), ""],
      ["BullMQ 6 drain (reference, not measured here)", `~${fmt(PEER_REFERENCE.bullmq6.drainJobsPerSec)} jobs/s`, "", ""],
      ["graphile-worker 0.17 tuned (reference, not measured here)", `~${fmt(PEER_REFERENCE.graphileWorker017Tuned.drainJobsPerSec)} jobs/s`, "", ""],
    ]);
    printDiagnostics(tp.usage, tp.controlPlane, tp.warnings);
    console.log(`  Postgres afterwards: ${JSON.stringify(counts)}; control plane took ${tp.exit.stopMs} ms to stop after SIGTERM`);
    warnIfUncleanExit(tp.exit);
    const { controlPlane, warnings, ...figures } = tp;
    return {
      figures: {
        tasks: TASKS,
        workers: WORKERS,
        concurrency: CONCURRENCY,
        taskplane: { ...figures, workerWarnings: warnings.count, controlPlaneOutputLines: controlPlane.output.total },
        baseline: floor,
        ratioToBaseline: ratio,
        postgresCounts: counts,
      },
      failures,
    };
  } finally {
    await db.drop();
  }
}

/** Each job's durable minimum: one row written, then one row updated, batched, over one connection. */
async function durabilityFloor(databaseUrl: string) {
  return withDb(databaseUrl, async (c) => {
    await c.query(`CREATE TABLE bench_floor (id uuid PRIMARY KEY, state text NOT NULL, updated_at timestamptz NOT NULL)`);
    const ids = Array.from({ length: TASKS }, () => randomUUID());
    const t0 = performance.now();
    for (let i = 0; i < TASKS; i += CREATE_BATCH)
      await c.query(`INSERT INTO bench_floor SELECT id, 'QUEUED', now() FROM unnest($1::uuid[]) AS id`, [ids.slice(i, i + CREATE_BATCH)]);
    const insertMs = performance.now() - t0;
    for (let i = 0; i < TASKS; i += UPDATE_BATCH)
      await c.query(`UPDATE bench_floor SET state = 'SUCCEEDED', updated_at = now() WHERE id = ANY($1::uuid[])`, [ids.slice(i, i + UPDATE_BATCH)]);
    const totalMs = performance.now() - t0;
    await c.query(`DROP TABLE bench_floor`);
    return { rows: TASKS, insertMs: round(insertMs), totalMs: round(totalMs), rowsPerSec: round(TASKS / (totalMs / 1000)) };
  });
}

async function drain(databaseUrl: string) {
  const cp = await startDeployment(databaseUrl);
  const warnings = new Warnings();
  const watcher = new pg.Client({ connectionString: databaseUrl });
  let workers: ReturnType<typeof startWorkers> | undefined;
  let handlerCalls = 0;
  let usage: Usage | undefined;
  try {
    await watcher.connect();
    const c0 = performance.now();
    await createInBatches(cp.client, TASKS, () => ({ type: "noop" })); // no schedule: once, now
    const createMs = performance.now() - c0;
    // Every run fired and waiting for a worker before the drain starts.
    await waitUntil("all runs QUEUED", () => countInState(watcher, "QUEUED"), (n) => n >= TASKS, 60_000);
    const meter = startMeter(cp.pid);
    const t0 = performance.now();
    workers = startWorkers(cp.addresses, WORKERS, CONCURRENCY, async () => void handlerCalls++, warnings);
    // Counting handler returns in-process is free; Postgres is polled (every 50 ms) only after that.
    await waitUntil("all handlers to return", () => handlerCalls, (n) => n >= TASKS, DRAIN_TIMEOUT_MS);
    const handlersDoneMs = performance.now() - t0;
    await waitUntil("all runs SUCCEEDED in Postgres", () => countInState(watcher, "SUCCEEDED"), (n) => n >= TASKS, 30_000);
    const totalMs = performance.now() - t0;
    usage = meter();
    await workers.stop();
    return {
      createMs: round(createMs),
      createPerSec: round(TASKS / (createMs / 1000)),
      handlersDoneMs: round(handlersDoneMs),
      totalMs: round(totalMs),
      runsPerSec: round(TASKS / (totalMs / 1000)),
      handlerCalls,
      usage,
      warnings,
      controlPlane: cp,
      exit: await cp.stop(),
    };
  } catch (e) {
    printDiagnostics(usage, cp, warnings);
    throw e;
  } finally {
    await workers?.stop();
    await watcher.end().catch(() => {});
    await cp.stop();
  }
}
