// (c) Schedules at scale (issue #4): a million recurring cron schedules (6 fields, seconds first),
// spread over every IANA zone this runtime knows, ~1,111 fires a second, on one Postgres. The
// schedules are created through one control plane; then a fresh one takes over, as after a
// failover, and is measured over a steady interval: lateness (Postgres and handler), fires/s
// achieved, the heap it holds, its RSS and CPU. Baselines, measured here: the same fires/s from
// 900x fewer schedules (each firing every second), and nextFireTime over a pool of 1,000
// schedules against a pool of a million. Opt-in, ~15 minutes at full size: `npm run bench -- schedules`;
// TASKPLANE_BENCH_SCHEDULES sets the count (9000 runs every step in ~4 minutes).
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import pg from "pg";
import { schedules as scheduleOf, type TaskplaneClient, type TaskSpecInit } from "@taskplane/sdk";
import type { Schedule } from "../../controlplane/src/domain/model.js";
import { checkedSchedule, nextFireTime } from "../../controlplane/src/scheduler/fire-times.js";
import { DEFAULT_SCHEDULER_OPTIONS } from "../../controlplane/src/scheduler/scheduler.js";
import type { Queryable } from "../../controlplane/src/store/pg/db.js";
import { selectDueRunIds, selectDueRunsById } from "../../controlplane/src/store/pg/run-queries.js";
import {
  Warnings,
  envInt,
  fmt,
  freshDatabase,
  percentiles,
  printDiagnostics,
  printTable,
  round,
  sleep,
  startMeter,
  startWorkers,
  waitUntil,
  warnIfUncleanExit,
  withDb,
  type Percentiles,
  type ScenarioResult,
  type Usage,
} from "./common.js";
import { startDeployment, type Deployment } from "./deployment.js";

const SCHEDULES = envInt("TASKPLANE_BENCH_SCHEDULES", 1_000_000);
const SPELLING = spellingFromEnv();
const WORKERS = envInt("TASKPLANE_BENCH_SCHEDULES_WORKERS", 4);
const CONCURRENCY = envInt("TASKPLANE_BENCH_SCHEDULES_CONCURRENCY", 500);
/**
 * Longer than the default heartbeat timeout (60 s): a run claimed for a poll that a stopping
 * worker aborted is lost until then (see docs/benchmarks.md), and with overlap SKIP its task's
 * fires are skipped meanwhile. The creating control plane's workers stop at the handover.
 */
const WARMUP_S = envInt("TASKPLANE_BENCH_SCHEDULES_WARMUP_S", 75);
const MEASURE_S = envInt("TASKPLANE_BENCH_SCHEDULES_MEASURE_S", 60);
const CREATE_LANES = envInt("TASKPLANE_BENCH_SCHEDULES_CREATE_LANES", 4);
const NEXT_FIRE_CALLS = envInt("TASKPLANE_BENCH_SCHEDULES_NEXT_FIRE_CALLS", 50_000);
const CREATE_BATCH = 1_000;
/** How long the fires of the measured interval may take to finish after it. */
const FINISH_WAIT_MS = 60_000;
const WORKER_STOP_MS = 30_000;
const NEXT_FIRE_ROUNDS = 3;
const SMALL_POOL = 1_000;
/** `${s} ${m}/15 …` takes one of 60 seconds x 15 minutes of each quarter hour: one slot fires each second. */
const QUARTER_SLOTS = 900;
/** The baseline: the same fires/s from 900x fewer schedules, each firing every second (`* * …`). */
const BASELINE = Math.max(1, Math.round(SCHEDULES / QUARTER_SLOTS));
const ZONES = Intl.supportedValuesOf("timeZone");
const MB = 1024 * 1024;

/** Creation is bounded at a pessimistic 500 schedules/s (each phase's creates fail past that), and each batch at a minute. */
const CREATE_MS_PER_SCHEDULE = 2;
const CREATE_BATCH_TIMEOUT_MS = 60_000;
/** What run.ts adds to its backstop when this scenario is named: both phases' creation bounds, warm-up, measurement, margin. */
export const SCHEDULES_WATCHDOG_MS = 5 * 60_000 + CREATE_MS_PER_SCHEDULE * (SCHEDULES + BASELINE) + 2 * (WARMUP_S + MEASURE_S + 180) * 1_000;

type Shape = "quarter-hourly" | "every-second";
/** "shared": 900 distinct expressions, as most real schedules share a few; "distinct": every expression spelled differently. */
type Spelling = "shared" | "distinct";

function spellingFromEnv(): Spelling {
  const raw = process.env.TASKPLANE_BENCH_SCHEDULES_SPELLING || "shared";
  if (raw !== "shared" && raw !== "distinct") throw new Error(`TASKPLANE_BENCH_SCHEDULES_SPELLING: "${raw}" is neither shared nor distinct`);
  return raw;
}

const firesPerSecOf = (count: number, shape: Shape) => (shape === "quarter-hourly" ? count / QUARTER_SLOTS : count);

export async function schedules(serverUrl: string): Promise<ScenarioResult> {
  const firesPerSec = firesPerSecOf(SCHEDULES, "quarter-hourly");
  console.log(
    `\n== schedules: ${fmt(SCHEDULES)} cron schedules "\${s} \${m}/15 * * * *" in ${ZONES.length} zones (~${fmt(firesPerSec)} fires/s),` +
      ` against ${fmt(BASELINE)} "* * * * * *" (the same fires/s); ${SPELLING} expressions; ${WORKERS} workers x ${CONCURRENCY};` +
      ` ${WARMUP_S} s warm-up, ${MEASURE_S} s measured`,
  );
  // First, while this process is otherwise idle.
  const nextFire = [nextFireCost("shared"), nextFireCost("distinct")];
  printNextFire(nextFire);
  const small = await phase(serverUrl, BASELINE, "every-second");
  let big: Phase;
  try {
    big = await phase(serverUrl, SCHEDULES, "quarter-hourly");
  } catch (e) {
    // The baseline's figures are still worth seeing.
    printPhases([small]);
    throw e;
  }
  printPhases([small, big]);
  const goals = judge(small, big, nextFire, firesPerSec);
  printTable("Against the goals (issue #4)", ["goal", "measured", "status"], goals.map((g) => [g.goal, g.measured, g.met ? "met" : "NOT met"]));
  const figuresOf = ({ controlPlane: _, warnings, failures: __, ...rest }: Phase) => ({ ...rest, workerWarnings: warnings.count });
  return {
    figures: {
      schedules: SCHEDULES,
      baselineSchedules: BASELINE,
      spelling: SPELLING,
      expectedFiresPerSec: round(firesPerSec, 1),
      workers: WORKERS,
      concurrency: CONCURRENCY,
      warmupS: WARMUP_S,
      measureS: MEASURE_S,
      nextFire,
      baseline: figuresOf(small),
      big: figuresOf(big),
      goals,
    },
    failures: [...small.failures.map((f) => `${fmt(BASELINE)} schedules: ${f}`), ...big.failures.map((f) => `${fmt(SCHEDULES)} schedules: ${f}`)],
  };
}

// ---------------------------------------------------------------------------------------------
// The i-th schedule of a deployment.

/** Spellings of "every hour, day and month" that cron reads alike: `*` or a range split in two. */
function spelledTail(j: number): string {
  const split = (k: number, lo: number, hi: number) => (k === hi - lo ? "*" : `${lo}-${lo + k},${lo + k + 1}-${hi}`);
  const hour = j % 24;
  const day = Math.floor(j / 24) % 31;
  const month = Math.floor(j / (24 * 31)) % 12;
  return `${split(hour, 0, 23)} ${split(day, 1, 31)} ${split(month, 1, 12)} *`;
}

/** Quarter-hourly: the slot (second and minute) spreads fires evenly over the quarter hour. Zones go round. */
function cronOf(i: number, shape: Shape, spelling: Spelling): { expression: string; timeZone: string } {
  const timeZone = ZONES[i % ZONES.length]!;
  const slot = i % QUARTER_SLOTS;
  const head = shape === "quarter-hourly" ? `${slot % 60} ${Math.floor(slot / 60)}/15` : "* *";
  const tail = spelling === "distinct" ? spelledTail(shape === "quarter-hourly" ? Math.floor(i / QUARTER_SLOTS) : i) : "* * * *";
  return { expression: `${head} ${tail}`, timeZone };
}

function distinctExpressions(count: number, shape: Shape, spelling: Spelling): number {
  if (spelling === "distinct") return count;
  return shape === "quarter-hourly" ? Math.min(count, QUARTER_SLOTS) : 1;
}

// ---------------------------------------------------------------------------------------------
// Next-fire cost in this process: nextFireTime over a pool of 1,000 schedules and one of SCHEDULES.

interface NextFireCost {
  /** How the pools' expressions are spelled: as the deployments spell them, or each differently. */
  spelling: Spelling;
  distinctExpressions: { small: number; large: number };
  smallPool: number;
  largePool: number;
  /** Median round, µs per call. */
  smallUs: number;
  largeUs: number;
  ratio: number;
}

/** mulberry32: the same pseudo-random sequence every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The i-th quarter-hourly schedule, whole, as the scheduler builds it from a row (see storeSchedules). */
function poolSchedule(i: number, spelling: Spelling): Schedule {
  const given = givenSchedule(i, spelling);
  const matchExpression = storedMatch.get(given.expression);
  if (matchExpression === undefined) throw new Error(`schedule ${i} was not stored before it was timed`);
  return { ...given, matchExpression };
}

function givenSchedule(i: number, spelling: Spelling): Extract<Schedule, { kind: "cron" }> {
  return {
    kind: "cron",
    ...cronOf(i, "quarter-hourly", spelling),
    onMissingTime: "RUN_AT_NEXT_VALID_TIME",
    onRepeatedTime: "RUN_ONCE_FIRST",
    overlap: "SKIP",
    catchUp: { mode: "ONE", windowMs: 0, maxRuns: 1 },
    jitterMs: 0,
  };
}

/** Each expression's match expression, as rows store it: computed once per task, when it is created. */
const storedMatch = new Map<string, string>();

/** Stores (as task creation would) every schedule that `pick` will draw with this seed. */
function storeSchedules(pick: (r: () => number) => number, spelling: Spelling, seed: number, calls: number): void {
  const r = random(seed);
  for (let c = 0; c < calls; c++) {
    const given = givenSchedule(pick(r), spelling);
    r();
    if (!storedMatch.has(given.expression)) storedMatch.set(given.expression, (checkedSchedule(given) as typeof given).matchExpression!);
  }
}

/** µs per nextFireTime call over `calls` schedules drawn by `pick`, each built afresh, after a random instant of a quarter hour. */
function timeNextFire(pick: (r: () => number) => number, spelling: Spelling, seed: number, calls: number): number {
  const r = random(seed);
  const base = Math.floor(Date.now() / 1000) * 1000;
  let sink = 0;
  const t0 = performance.now();
  for (let c = 0; c < calls; c++) sink += nextFireTime(poolSchedule(pick(r), spelling), new Date(base + Math.floor(r() * 900_000)))!.getTime() & 1;
  const us = ((performance.now() - t0) * 1000) / calls;
  // Uses the results, so the calls cannot be optimised away.
  if (sink < 0) throw new Error("unreachable");
  return us;
}

/**
 * The small pool is a uniform sample of the large one, so a call costs the same on average but
 * for what is cached: zone transitions (per zone and year) and parsed expressions (zoned-cron
 * keeps 10,000). What remains is what grows with the number of schedules.
 */
function nextFireCost(spelling: Spelling): NextFireCost {
  const largePool = Math.max(SCHEDULES, SMALL_POOL);
  const pick = random(7);
  const sample = Array.from({ length: SMALL_POOL }, () => Math.floor(pick() * largePool));
  const small = (r: () => number) => sample[Math.floor(r() * SMALL_POOL)]!;
  const large = (r: () => number) => Math.floor(r() * largePool);
  const rounds: [(r: () => number) => number, number, number][] = [
    [small, 1, Math.min(NEXT_FIRE_CALLS, 20_000)],
    [large, 2, Math.min(NEXT_FIRE_CALLS, 20_000)],
    ...Array.from({ length: NEXT_FIRE_ROUNDS }, (_, k): [(r: () => number) => number, number, number][] => [
      [small, 10 + k, NEXT_FIRE_CALLS],
      [large, 20 + k, NEXT_FIRE_CALLS],
    ]).flat(),
  ];
  for (const [draw, seed, calls] of rounds) storeSchedules(draw, spelling, seed, calls);
  // Warm-up: the JIT, every zone's transitions (seconds, once per process), the small pool's expressions.
  timeNextFire(small, spelling, 1, Math.min(NEXT_FIRE_CALLS, 20_000));
  timeNextFire(large, spelling, 2, Math.min(NEXT_FIRE_CALLS, 20_000));
  const smallUs: number[] = [];
  const largeUs: number[] = [];
  for (let k = 0; k < NEXT_FIRE_ROUNDS; k++) {
    smallUs.push(timeNextFire(small, spelling, 10 + k, NEXT_FIRE_CALLS));
    largeUs.push(timeNextFire(large, spelling, 20 + k, NEXT_FIRE_CALLS));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const s = median(smallUs);
  const l = median(largeUs);
  // The i-th schedule's expression: its own, or its slot's.
  const expressionOf = (i: number) => (spelling === "distinct" ? i : i % QUARTER_SLOTS);
  return {
    spelling,
    distinctExpressions: { small: new Set(sample.map(expressionOf)).size, large: distinctExpressions(largePool, "quarter-hourly", spelling) },
    smallPool: SMALL_POOL,
    largePool,
    smallUs: round(s, 2),
    largeUs: round(l, 2),
    ratio: round(l / s, 2),
  };
}

// ---------------------------------------------------------------------------------------------
// /proc readers (Linux): the control plane's memory, Postgres' CPU.

function procStat(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after "(comm)", which may itself hold spaces: [0] is state, [1] ppid, [11]/[12] utime/stime.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The control plane's V8 heap in use, from its Prometheus metrics, in MB. */
async function readHeapUsedMb(address: string): Promise<number | undefined> {
  try {
    // By name: a full scrape would read the cluster gauges from Postgres, a load of its own at a million schedules.
    const metrics = await (await fetch(`${address}/metrics?name=taskplane_nodejs_heap_size_used_bytes`, { signal: AbortSignal.timeout(2_000) })).text();
    const used = metrics.match(/^taskplane_nodejs_heap_size_used_bytes (\S+)$/m)?.[1];
    return used === undefined ? undefined : Number(used) / MB;
  } catch {
    return undefined;
  }
}

/** Resident and peak resident memory (VmRSS, VmHWM) in MB. */
function readMemory(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const mb = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN) / 1024;
    return { rssMb: mb("VmRSS"), hwmMb: mb("VmHWM") };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of the whole Postgres server: the postmaster with its reaped children and its live
 * ones (each connection is a process). Found as a backend's parent; undefined when the server is
 * not a local process (TASKPLANE_BENCH_PG_URL elsewhere).
 */
async function postgresCpuReader(databaseUrl: string): Promise<() => number | undefined> {
  // Read while the backend is connected: it exits with the connection.
  const postmaster = await withDb(databaseUrl, async (c) => {
    const backend = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    return Number(procStat(backend)?.[1]);
  });
  if (!postmaster || !procStat(postmaster)) return () => undefined;
  return () => {
    const own = procStat(postmaster);
    if (!own) return undefined;
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const f = procStat(entry);
      if (f && Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
    }
    return ticks / 100; // USER_HZ
  };
}

// ---------------------------------------------------------------------------------------------
// One deployment: create the schedules through one control plane, measure a fresh one.

interface Creation {
  ms: number;
  /** The first 1,000 alone: they hold every zone, so this is a fresh process learning the zones. */
  firstBatchMs: number;
  /** The rest, CREATE_LANES batches in flight. */
  perSec: number;
  /** The creating control plane's peak RSS. */
  peakRssMb: number;
  /** When the creating control plane began to stop: from then on, fires are the fresh one's. */
  handoverAt: number;
}

interface RunFigures {
  /** Fires scheduled in the measured interval, by state (and reason, when not SUCCEEDED). */
  dueInInterval: number;
  states: Record<string, number>;
  postgresStart: Percentiles;
  postgresFire: Percentiles;
  /** Attempts started in the interval, whenever due. */
  firesPerSec: number;
  perSecond: { min: number; max: number };
  /** Fires from the handover to the measured interval: how the fresh control plane took over. */
  takeover: { postgresStart: Percentiles; states: Record<string, number> };
  postgresMb: { tasks: number; runs: number };
  runsTotal: number;
}

interface Serving {
  controlPlane: Deployment;
  window: { from: number; to: number };
  handler: Percentiles;
  handlerCalls: number;
  /** Fires of the measured interval still pending when the bench stopped waiting for them. */
  unfinished: number;
  rssMb: { fresh: number; start: number; end: number; min: number; max: number; mean: number; growthMbPerMin: number };
  /**
   * V8 heap in use, sampled with RSS: its floor over the interval (just after a full collection)
   * is what the process holds; RSS adds the collector's slack, up to about four times that.
   */
  heapMb: { floor: number; max: number };
  usage: Usage;
  postgresCpuS?: number;
  reload: Reload;
  warnings: Warnings;
  stopMs: number;
}

interface Phase extends RunFigures, Omit<Serving, "window" | "handlerCalls" | "unfinished" | "postgresCpuS"> {
  schedules: number;
  shape: Shape;
  distinctExpressions: number;
  create: Creation;
  controlPlaneCpuPct?: number;
  postgresCpuPct?: number;
  benchProcessCpuPct: number;
  failures: string[];
}

/**
 * Creates the schedules through one control plane, then measures a fresh one on the same
 * database: its memory is then what serving the schedules takes, not what a million creates
 * left in the heap, and it starts as a new leader would after a failover.
 */
async function phase(serverUrl: string, count: number, shape: Shape): Promise<Phase> {
  console.log(`\n-- ${fmt(count)} schedules, ${shape} (~${fmt(firesPerSecOf(count, shape))} fires/s)`);
  const db = await freshDatabase(serverUrl);
  try {
    const create = await createThrough(db.url, count, shape);
    console.log(
      `  created ${fmt(count)} in ${fmt(create.ms / 1000, 1)} s: first batch alone ${fmt(create.firstBatchMs)} ms, then ${fmt(create.perSec)} schedules/s;` +
        ` restarting the control plane, warming up ${WARMUP_S} s`,
    );
    const postgresCpu = await postgresCpuReader(db.url);
    const serving = await serve(db.url, postgresCpu);
    const runs = await withDb(db.url, (c) => runFigures(c, serving.window, create.handoverAt));
    const { window: _, handlerCalls, unfinished, postgresCpuS, ...rest } = serving;
    const wallS = serving.usage.wallMs / 1000;
    const pct = (cpuS: number | undefined) => (cpuS === undefined ? undefined : round((100 * cpuS) / wallS));
    return {
      schedules: count,
      shape,
      distinctExpressions: distinctExpressions(count, shape, SPELLING),
      create,
      ...runs,
      ...rest,
      controlPlaneCpuPct: pct(serving.usage.controlPlaneCpuS),
      postgresCpuPct: pct(postgresCpuS),
      benchProcessCpuPct: pct(serving.usage.benchProcessCpuS)!,
      failures: checkRuns(runs, handlerCalls, unfinished),
    };
  } finally {
    await db.drop();
  }
}

/** Every fire due in the measured interval ran once and succeeded at once; anything else is a FAIL. */
function checkRuns(runs: RunFigures, handlerCalls: number, unfinished: number): string[] {
  const failures: string[] = [];
  if (unfinished > 0) failures.push(`${unfinished} fires of the measured interval had not finished ${FINISH_WAIT_MS / 1000} s after it`);
  if (runs.dueInInterval === 0) failures.push("no fires were due in the measured interval");
  const notSucceeded = runs.dueInInterval - (runs.states.SUCCEEDED_FIRST ?? 0);
  if (notSucceeded > 0) failures.push(`${notSucceeded} of ${runs.dueInInterval} fires due in the measured interval did not SUCCEED on attempt 1 (${JSON.stringify(runs.states)})`);
  if (handlerCalls !== runs.dueInInterval) failures.push(`handlers ran ${handlerCalls} times for ${runs.dueInInterval} fires due in the measured interval`);
  return failures;
}

/** Creates the schedules through a control plane of its own, with workers taking the fires meanwhile. */
async function createThrough(databaseUrl: string, count: number, shape: Shape): Promise<Creation> {
  const cp = await startDeployment(databaseUrl);
  const warnings = new Warnings();
  let workers: ReturnType<typeof startWorkers> | undefined;
  try {
    workers = startWorkers(cp.addresses, WORKERS, CONCURRENCY, async () => {}, warnings);
    const timing = await createSchedules(cp.client, count, shape);
    const peakRssMb = round(readMemory(cp.pid)?.hwmMb ?? NaN);
    const handoverAt = Date.now();
    await stopWorkers(workers);
    workers = undefined;
    warnIfUncleanExit(await cp.stop());
    if (warnings.count) console.log(`  worker warnings while creating: ${warnings.count}${warnings.samples.map((s) => `\n    ${s}`).join("")}`);
    return { ...timing, peakRssMb, handoverAt };
  } catch (e) {
    printDiagnostics(undefined, cp, warnings);
    throw e;
  } finally {
    if (workers) await stopWorkers(workers);
    await cp.stop();
  }
}

/** Batches of 1,000 through BatchCreateTasks: the first alone, then CREATE_LANES in flight. */
async function createSchedules(client: TaskplaneClient, count: number, shape: Shape): Promise<Pick<Creation, "ms" | "firstBatchMs" | "perSec">> {
  const t0 = performance.now();
  const deadline = Date.now() + 60_000 + count * CREATE_MS_PER_SCHEDULE;
  let next = 0;
  let done = 0;
  let reported = 0;
  const batch = async () => {
    if (Date.now() > deadline) throw new Error(`creating ${fmt(count)} schedules: only ${fmt(done)} created by the deadline`);
    const from = next;
    next = Math.min(count, next + CREATE_BATCH);
    const specs: TaskSpecInit[] = [];
    for (let i = from; i < next; i++) {
      const { expression, timeZone } = cronOf(i, shape, SPELLING);
      specs.push({ type: "noop", schedule: scheduleOf.cron(expression, timeZone) });
    }
    // A scheduler that has fallen behind can starve the creates: a stalled batch ends the phase.
    await client.service.batchCreateTasks({ tasks: specs }, { timeoutMs: CREATE_BATCH_TIMEOUT_MS }).catch((e: Error) => {
      throw new Error(`creating ${fmt(count)} schedules: a batch failed after ${fmt(done)} were created: ${e.message}`);
    });
    done += specs.length;
    if (done - reported >= 200_000) {
      reported = done;
      console.log(`  created ${fmt(done)} (${fmt(done / ((performance.now() - t0) / 1000))}/s so far)`);
    }
  };
  await batch();
  const firstBatchMs = performance.now() - t0;
  const lane = async () => {
    while (next < count) await batch();
  };
  await Promise.all(Array.from({ length: CREATE_LANES }, lane));
  const ms = performance.now() - t0;
  const rest = count - Math.min(count, CREATE_BATCH);
  return { ms: Math.round(ms), firstBatchMs: Math.round(firstBatchMs), perSec: rest ? Math.round(rest / ((ms - firstBatchMs) / 1000)) : NaN };
}

/**
 * Starts a fresh control plane with workers, warms up, measures an interval of whole seconds,
 * then waits until the interval's fires have finished. Handlers record the lateness of the
 * fires scheduled in the interval; RSS is sampled every second.
 */
async function serve(databaseUrl: string, postgresCpu: () => number | undefined): Promise<Serving> {
  const cp = await startDeployment(databaseUrl);
  const fresh = readMemory(cp.pid);
  const warnings = new Warnings();
  const window = { from: Infinity, to: -Infinity };
  const handlerLate: number[] = [];
  const samples: { at: number; rssMb: number }[] = [];
  const heapSamples: number[] = [];
  const sample = () => {
    const m = readMemory(cp.pid);
    if (m) samples.push({ at: Date.now(), rssMb: m.rssMb });
    void readHeapUsedMb(cp.address).then((mb) => mb !== undefined && heapSamples.push(mb));
  };
  let sampler: NodeJS.Timeout | undefined;
  let workers: ReturnType<typeof startWorkers> | undefined;
  let usage: Usage | undefined;
  try {
    workers = startWorkers(
      cp.addresses,
      WORKERS,
      CONCURRENCY,
      async (_payload, ctx) => {
        const scheduled = ctx.scheduledTime.getTime();
        if (scheduled >= window.from && scheduled < window.to) handlerLate.push(Date.now() - scheduled);
      },
      warnings,
    );
    await sleep(WARMUP_S * 1_000);
    window.from = Math.ceil((Date.now() + 1) / 1_000) * 1_000;
    window.to = window.from + MEASURE_S * 1_000;
    await sleep(window.from - Date.now());
    const meter = startMeter(cp.pid);
    const postgres0 = postgresCpu();
    sample();
    sampler = setInterval(sample, 1_000);
    await sleep(window.to - Date.now());
    usage = meter();
    const postgres1 = postgresCpu();
    clearInterval(sampler);
    sample();
    console.log(`  measured ${MEASURE_S} s; waiting for its fires to finish`);
    const unfinished = await waitForInterval(databaseUrl, window);
    const reload = await timeReload(databaseUrl);
    await stopWorkers(workers);
    workers = undefined;
    const exit = await cp.stop();
    warnIfUncleanExit(exit);
    return {
      controlPlane: cp,
      window,
      handler: percentiles(handlerLate),
      handlerCalls: handlerLate.length,
      unfinished,
      rssMb: rssFigures(fresh?.rssMb ?? NaN, samples),
      heapMb: { floor: round(Math.min(...heapSamples)), max: round(Math.max(...heapSamples)) },
      usage,
      postgresCpuS: postgres0 !== undefined && postgres1 !== undefined ? postgres1 - postgres0 : undefined,
      reload,
      warnings,
      stopMs: exit.stopMs,
    };
  } catch (e) {
    printDiagnostics(usage, cp, warnings);
    await printDatabaseState(databaseUrl);
    throw e;
  } finally {
    clearInterval(sampler);
    if (workers) await stopWorkers(workers);
    await cp.stop();
  }
}

/**
 * Stops the workers, giving up after WORKER_STOP_MS: a control plane that fell behind may never
 * answer their last results, and the figures matter more than a clean stop.
 */
async function stopWorkers(workers: ReturnType<typeof startWorkers>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), WORKER_STOP_MS)));
  if (await Promise.race([workers.stop().then(() => false), gaveUp])) console.log(`  WARN workers had not stopped ${WORKER_STOP_MS / 1000} s after shutdown; going on`);
  clearTimeout(timer);
}

function rssFigures(fresh: number, samples: { at: number; rssMb: number }[]): Serving["rssMb"] {
  const rss = samples.map((s) => s.rssMb);
  return {
    fresh: round(fresh),
    start: round(rss[0] ?? NaN),
    end: round(rss.at(-1) ?? NaN),
    min: round(Math.min(...rss)),
    max: round(Math.max(...rss)),
    mean: round(rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length)),
    growthMbPerMin: round(slopePerMin(samples.map((s) => [s.at, s.rssMb] as const)), 1),
  };
}

/** Least-squares slope of y over time (ms), per minute. */
function slopePerMin(points: (readonly [number, number])[]): number {
  if (points.length < 2) return NaN;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : (num / den) * 60_000;
}

/** On a failure: what the runs are doing and what Postgres is busy with, the clues to a stall. */
async function printDatabaseState(databaseUrl: string): Promise<void> {
  try {
    await withDb(databaseUrl, async (c) => {
      const states = await c.query<{ state: string; n: number }>("SELECT state, count(*)::int AS n FROM runs GROUP BY 1 ORDER BY 2 DESC");
      console.log(`  runs by state: ${states.rows.map((r) => `${r.state} ${r.n}`).join(", ")}`);
      const busy = await c.query<{ state: string; wait: string | null; secs: number; query: string }>(
        `SELECT state, wait_event_type || ':' || wait_event AS wait, round(extract(epoch FROM now() - query_start))::int AS secs, left(query, 160) AS query
           FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle' ORDER BY query_start LIMIT 10`,
      );
      for (const r of busy.rows) console.log(`  postgres: ${r.state} ${r.secs} s wait=${r.wait ?? "-"} ${r.query.replace(/\s+/g, " ")}`);
    });
  } catch (e) {
    console.log(`  (could not read the database state: ${(e as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------------
// What Postgres says about the runs.

async function runFigures(c: pg.Client, window: { from: number; to: number }, handoverAt: number): Promise<RunFigures> {
  const { from, to } = window;
  const { total, states } = await stateCounts(c, from, to);
  const perSecond = await startsPerSecond(c, from, to);
  const measuredS = (to - from) / 1000;
  const takeover = { postgresStart: await latenessIn(c, "start_time", handoverAt, from), states: (await stateCounts(c, handoverAt, from)).states };
  const sizes = await c.query<{ tasks: string; runs: string; total: string }>(
    "SELECT pg_total_relation_size('tasks') AS tasks, pg_total_relation_size('runs') AS runs, (SELECT count(*) FROM runs) AS total",
  );
  return {
    dueInInterval: total,
    states,
    postgresStart: await latenessIn(c, "start_time", from, to),
    postgresFire: await latenessIn(c, "fire_time", from, to),
    firesPerSec: round(perSecond.reduce((a, b) => a + b, 0) / measuredS),
    // A second with no start at all has no row: it counts as 0.
    perSecond: { min: perSecond.length < measuredS ? 0 : Math.min(...perSecond), max: Math.max(0, ...perSecond) },
    takeover,
    postgresMb: { tasks: round(Number(sizes.rows[0]!.tasks) / MB), runs: round(Number(sizes.rows[0]!.runs) / MB) },
    runsTotal: Number(sizes.rows[0]!.total),
  };
}

/**
 * Waits (bounded) for the fires of the interval to finish; returns how many had not. A scheduler
 * that fell behind still gets its figures printed, with the backlog counted as late until now.
 */
async function waitForInterval(databaseUrl: string, window: { from: number; to: number }): Promise<number> {
  return withDb(databaseUrl, async (c) => {
    try {
      await waitUntil("the measured interval's fires to finish", () => pendingIn(c, window.from, window.to), (n) => n === 0, FINISH_WAIT_MS, 500);
      return 0;
    } catch {
      return pendingIn(c, window.from, window.to);
    }
  });
}

/** Runs due in [from, to) not finished yet; each count reads one partial index (no scan of the table). */
async function pendingIn(c: pg.Client, from: number, to: number): Promise<number> {
  const { rows } = await c.query<{ n: number }>(
    `SELECT ((SELECT count(*) FROM runs WHERE state IN ('SCHEDULED', 'RETRYING') AND due_time >= $1 AND due_time < $2)
           + (SELECT count(*) FROM runs WHERE state = 'QUEUED' AND due_time >= $1 AND due_time < $2)
           + (SELECT count(*) FROM runs WHERE state = 'RUNNING' AND due_time >= $1 AND due_time < $2))::int AS n`,
    [new Date(from), new Date(to)],
  );
  return rows[0]!.n;
}

/**
 * Runs scheduled in [from, to) by state; SUCCEEDED_FIRST counts those that succeeded on attempt 1,
 * and "STATE: reason" those that did not succeed and why (a SKIPPED fire's overlap or catch-up reason).
 */
async function stateCounts(c: pg.Client, from: number, to: number): Promise<{ total: number; states: Record<string, number> }> {
  const { rows } = await c.query<{ state: string; first: boolean; reason: string | null; n: number }>(
    `SELECT state, attempt = 1 AS first, CASE WHEN state <> 'SUCCEEDED' THEN reason END AS reason, count(*)::int AS n
       FROM runs WHERE scheduled_time >= $1 AND scheduled_time < $2 GROUP BY 1, 2, 3`,
    [new Date(from), new Date(to)],
  );
  const states: Record<string, number> = {};
  const add = (key: string, n: number) => (states[key] = (states[key] ?? 0) + n);
  let total = 0;
  for (const r of rows) {
    total += r.n;
    add(r.state, r.n);
    if (r.state === "SUCCEEDED" && r.first) add("SUCCEEDED_FIRST", r.n);
    if (r.reason) add(`${r.state}: ${r.reason}`, r.n);
  }
  return { total, states };
}

/** Attempts started in each second of [from, to) that had any. */
async function startsPerSecond(c: pg.Client, from: number, to: number): Promise<number[]> {
  const { rows } = await c.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM runs WHERE start_time >= $1 AND start_time < $2 GROUP BY date_trunc('second', start_time)`,
    [new Date(from), new Date(to)],
  );
  return rows.map((r) => r.n);
}

/**
 * Percentiles of `column - scheduled_time` in ms over runs scheduled in [from, to), by Postgres
 * (percentile_cont). A run still waiting counts as late until now; a SKIPPED or CANCELLED one not at all.
 */
async function latenessIn(c: pg.Client, column: "start_time" | "fire_time", from: number, to: number): Promise<Percentiles> {
  const { rows } = await c.query<{ n: number; p50: number | null; p99: number | null; max: number | null }>(
    `SELECT count(ms)::int AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
       FROM (SELECT extract(epoch FROM COALESCE(${column}, CASE WHEN state IN ('SCHEDULED', 'QUEUED', 'RETRYING') THEN now() END) - scheduled_time)::float8 * 1000 AS ms
               FROM runs WHERE scheduled_time >= $1 AND scheduled_time < $2) AS s`,
    [new Date(from), new Date(to)],
  );
  const r = rows[0]!;
  return { n: r.n, p50: round(r.p50 ?? NaN, 1), p99: round(r.p99 ?? NaN, 1), max: round(r.max ?? NaN, 1) };
}

interface Reload {
  rows: number;
  /** The ids of the window, read every second. */
  ms: number;
  postgresMs?: number;
  sharedHit?: number;
  sharedRead?: number;
  /** Those runs in full, with their tasks: what a fresh leader reads once (later, only new ones). */
  fullMs: number;
}

/**
 * The scheduler's due-window read (scheduler.ts reload -> store dueRunIds, then dueRunsById for
 * runs it does not hold yet), which the control plane runs every second (while the window is full,
 * only once half of it has fired; meanwhile it reads the next 3 s): the same functions on the
 * same database, timed end to end in this process (median of 5), the id read also inside Postgres
 * by EXPLAIN ANALYZE.
 */
async function timeReload(databaseUrl: string): Promise<Reload> {
  const { windowMs, reloadLimit } = DEFAULT_SCHEDULER_OPTIONS;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const median = async (read: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      await read();
      times.push(performance.now() - t0);
    }
    return round(times.sort((a, b) => a - b)[2]!, 1);
  };
  try {
    const ids = await selectDueRunIds(pool, new Date(Date.now() + windowMs), reloadLimit);
    return {
      rows: ids.length,
      ms: await median(() => selectDueRunIds(pool, new Date(Date.now() + windowMs), reloadLimit)),
      fullMs: await median(() => selectDueRunsById(pool, ids)),
      ...(await explainReload(pool, windowMs, reloadLimit)),
    };
  } finally {
    await pool.end();
  }
}

/** Catches the query's text on its way to Postgres, so what is explained is what the scheduler sends. */
async function explainReload(pool: pg.Pool, windowMs: number, reloadLimit: number): Promise<Omit<Reload, "rows" | "ms" | "fullMs">> {
  let sql: { text: string; values: unknown[] } | undefined;
  const catcher = { query: async (text: string, values: unknown[]) => ((sql = { text, values }), { rows: [] }) };
  await selectDueRunIds(catcher as unknown as Queryable, new Date(Date.now() + windowMs), reloadLimit);
  if (!sql) return {};
  const { rows } = await pool.query<{ "QUERY PLAN": { "Execution Time": number; Plan: Record<string, number> }[] }>(
    `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql.text}`,
    sql.values,
  );
  const top = rows[0]!["QUERY PLAN"][0]!;
  return { postgresMs: round(top["Execution Time"], 1), sharedHit: top.Plan["Shared Hit Blocks"], sharedRead: top.Plan["Shared Read Blocks"] };
}

// ---------------------------------------------------------------------------------------------
// Output.

function printNextFire(costs: NextFireCost[]): void {
  printTable(
    `Next fire time: nextFireTime() in this process, ${fmt(NEXT_FIRE_CALLS)} calls x ${NEXT_FIRE_ROUNDS} rounds per pool (median round); every zone`,
    ["schedules drawn from", "distinct expressions", "µs per call", "vs 1,000"],
    costs.flatMap((n) => [
      [`${fmt(n.smallPool)} schedules, ${n.spelling} expressions`, fmt(n.distinctExpressions.small), fmt(n.smallUs, 2), "1x"],
      [`${fmt(n.largePool)} schedules, ${n.spelling} expressions`, fmt(n.distinctExpressions.large), fmt(n.largeUs, 2), `${n.ratio}x`],
    ]),
  );
}

/** One column per phase: the baseline, then the million. */
function printPhases(phases: Phase[]): void {
  const each = (f: (p: Phase) => string) => phases.map(f);
  const lat = (p: Percentiles) => `${fmt(p.p50, 1)} / ${fmt(p.p99, 1)} / ${fmt(p.max, 1)}`;
  const pct = (n: number | undefined) => (n === undefined ? "n/a" : `${fmt(n)}%`);
  printTable(
    `Schedules at scale: ~${fmt(firesPerSecOf(SCHEDULES, "quarter-hourly"))} fires/s from ${phases.map((p) => fmt(p.schedules)).join(" and from ")} schedules (${MEASURE_S} s measured after ${WARMUP_S} s)`,
    ["measurement", ...each((p) => `${fmt(p.schedules)} schedules`)],
    [
      ["schedule", ...each((p) => (p.shape === "every-second" ? `"* * * * * *"` : `"\${s} \${m}/15 * * * *"`))],
      ["distinct expressions / zones", ...each((p) => `${fmt(p.distinctExpressions)} / ${fmt(Math.min(p.schedules, ZONES.length))}`)],
      [`created: BatchCreateTasks x1,000, ${CREATE_LANES} in flight, schedules/s`, ...each((p) => fmt(p.create.perSec))],
      ["  first batch alone (every zone, fresh process), ms", ...each((p) => fmt(p.create.firstBatchMs))],
      ["  creating control plane's peak RSS (VmHWM), MB", ...each((p) => fmt(p.create.peakRssMb))],
      ["takeover (fresh control plane, until measured): lateness p50 / p99 / max, ms", ...each((p) => lat(p.takeover.postgresStart))],
      ["fires due in the measured interval", ...each((p) => fmt(p.dueInInterval))],
      ["fires/s achieved (attempts started in the interval)", ...each((p) => fmt(p.firesPerSec))],
      ["  fewest / most in one second", ...each((p) => `${fmt(p.perSecond.min)} / ${fmt(p.perSecond.max)}`)],
      ["lateness, Postgres start_time - scheduled_time, ms p50 / p99 / max", ...each((p) => lat(p.postgresStart))],
      ["  Postgres fire_time - scheduled_time", ...each((p) => lat(p.postgresFire))],
      ["lateness, handler Date.now() - scheduledTime", ...each((p) => lat(p.handler))],
      ["control plane RSS, MB: fresh process, just started", ...each((p) => fmt(p.rssMb.fresh))],
      ["  measured: start -> end (min - max)", ...each((p) => `${fmt(p.rssMb.start)} -> ${fmt(p.rssMb.end)} (${fmt(p.rssMb.min)} - ${fmt(p.rssMb.max)})`)],
      ["  measured: mean; trend MB/min", ...each((p) => `${fmt(p.rssMb.mean)}; ${fmt(p.rssMb.growthMbPerMin, 1)}`)],
      ["control plane V8 heap in use, MB: floor (held) / most", ...each((p) => `${fmt(p.heapMb.floor)} / ${fmt(p.heapMb.max)}`)],
      ["control plane CPU, % of one core", ...each((p) => pct(p.controlPlaneCpuPct))],
      ["Postgres CPU, % of one core", ...each((p) => pct(p.postgresCpuPct))],
      ["bench process (workers) CPU, % of one core", ...each((p) => pct(p.benchProcessCpuPct))],
      [`machine busy, % of ${os.cpus().length} cores`, ...each((p) => pct(p.usage.machineBusyPct))],
      ["due-window ids, one read of the window (dueRunIds), ms: total / in Postgres", ...each((p) => `${fmt(p.reload.ms, 1)} / ${fmt(p.reload.postgresMs, 1)}`)],
      ["  ids read; shared buffers hit / read", ...each((p) => `${fmt(p.reload.rows)}; ${fmt(p.reload.sharedHit)} / ${fmt(p.reload.sharedRead)}`)],
      ["  those runs in full (dueRunsById: once, then only new ones), ms", ...each((p) => fmt(p.reload.fullMs, 1))],
      ["Postgres tasks / runs, MB (runs rows)", ...each((p) => `${fmt(p.postgresMb.tasks)} / ${fmt(p.postgresMb.runs)} (${fmt(p.runsTotal)})`)],
    ],
  );
  for (const p of phases) {
    console.log(`\n  ${fmt(p.schedules)} schedules: fires by state, measured ${JSON.stringify(p.states)}; takeover ${JSON.stringify(p.takeover.states)}; control plane stopped in ${p.stopMs} ms`);
    printDiagnostics(p.usage, p.controlPlane, p.warnings);
  }
}

function judge(small: Phase, big: Phase, nextFire: NextFireCost[], firesPerSec: number) {
  // What the process holds is the heap's floor (just after a full collection); RSS follows the
  // collector, which lets the heap grow to about four times that before collecting.
  const heapRatio = big.heapMb.floor / small.heapMb.floor;
  const extraBytes = ((big.heapMb.floor - small.heapMb.floor) * MB) / Math.max(1, big.schedules - small.schedules);
  const minFiresPerSec = Math.min(1_000, Math.floor(firesPerSec * 0.99));
  return [
    {
      goal: `p99 lateness < 100 ms at ${fmt(firesPerSec)} fires/s (Postgres start_time; >= ${fmt(minFiresPerSec)} fires/s achieved)`,
      measured: `p99 ${fmt(big.postgresStart.p99, 1)} ms (handler ${fmt(big.handler.p99, 1)} ms) at ${fmt(big.firesPerSec)} fires/s`,
      met: big.postgresStart.p99 < 100 && big.firesPerSec >= minFiresPerSec && big.failures.length === 0,
    },
    {
      goal: `bounded memory: heap held (its floor over the minute) at ${fmt(big.schedules)} schedules within 1.25x of ${fmt(small.schedules)} at the same fires/s`,
      measured:
        `${fmt(big.heapMb.floor)} vs ${fmt(small.heapMb.floor)} MB (${round(heapRatio, 2)}x; ${fmt(extraBytes, 1)} B per extra schedule);` +
        ` RSS mean ${fmt(big.rssMb.mean)} vs ${fmt(small.rssMb.mean)} MB (${round(big.rssMb.mean / small.rssMb.mean, 2)}x), trend ${fmt(big.rssMb.growthMbPerMin, 1)} MB/min`,
      met: heapRatio <= 1.25,
    },
    ...nextFire.map((n) => ({
      goal: `next-fire cost flat: ${fmt(n.largePool)} schedules within 1.5x of ${fmt(n.smallPool)} (${n.spelling} expressions)`,
      measured: `${fmt(n.largeUs, 2)} vs ${fmt(n.smallUs, 2)} µs per call (${n.ratio}x)`,
      met: n.ratio <= 1.5,
    })),
  ];
}
