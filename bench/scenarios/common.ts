// Shared bench plumbing: fresh databases, the control plane as a child process, SDK workers,
// bounded waits, resource meters, statistics and plain-text tables.
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { TaskplaneClient, Worker, type Handler, type TaskSpecInit } from "@taskplane/sdk";
import { withDb } from "../../controlplane/test/harness/db.js";
import { createTestDatabase } from "../../controlplane/test/harness/postgres.js";
import type { ControlPlaneProcess } from "../../controlplane/test/harness/control-plane-process.js";
import type { WorkerProcessConfig, WorkerProcessMessage } from "./worker-process.js";


/** What a scenario hands back to run.ts: figures for BENCH_RESULT and any FAIL reasons. */
export interface ScenarioResult {
  figures: Record<string, unknown>;
  failures: string[];
}

/** Figures from the issue, printed for context only: nothing here measures them. */
export const PEER_REFERENCE = {
  note: "reference, not measured here (figures quoted in the issue)",
  bullmq6: { drainJobsPerSec: 18_000, p99LatenessMs: 370 },
  graphileWorker017Tuned: { drainJobsPerSec: 16_600, p99LatenessMs: 1_800 },
} as const;

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}: "${raw}" is not a positive integer`);
  return n;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` every `intervalMs` until `done`, or throws after `timeoutMs`: every wait is bounded. */
export async function waitUntil<T>(what: string, probe: () => T | Promise<T>, done: (v: T) => boolean, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(value)})`);
    await sleep(intervalMs);
  }
}

export { withDb };

/** A new, empty database per scenario, dropped afterwards so a shared server is not littered. */
export async function freshDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const url = await createTestDatabase(serverUrl);
  const name = new URL(url).pathname.slice(1);
  return { url, drop: () => withDb(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined) };
}

/** Collects worker warnings: a count and the first few distinct messages. */
export class Warnings {
  count = 0;
  readonly samples: string[] = [];
  readonly add = (m: string) => {
    this.count++;
    if (this.samples.length < 5 && !this.samples.includes(m)) this.samples.push(m);
  };
}

/** The deployment's replicas in the order worker `i` tries them: each worker prefers a different one and fails over to the others. */
const replicasFor = (addresses: string[], i: number) => [...addresses.slice(i % addresses.length), ...addresses.slice(0, i % addresses.length)];

/** `count` SDK workers in this process for task type "noop"; distinct ids so attempts say which. */
export function startWorkers(addresses: string[], count: number, concurrency: number, noop: Handler, warnings: Warnings) {
  const workers = Array.from({ length: count }, (_, i) =>
    Worker.create({ address: replicasFor(addresses, i), handlers: { noop }, concurrency, handleSignals: false, workerId: `bench-${i}`, onWarning: warnings.add }),
  );
  const running = workers.map((w) => w.run());
  return {
    async stop() {
      await Promise.all(workers.map((w) => w.shutdown()));
      await Promise.allSettled(running);
    },
  };
}

const WORKER_PROCESS = fileURLToPath(new URL("./worker-process.ts", import.meta.url));

/**
 * `count` SDK workers for task type "noop", each in a process of its own (worker-process.ts);
 * `onStart` gets each run's scheduled time and how late its handler started, in ms.
 */
export function startWorkerProcesses(addresses: string[], count: number, concurrency: number, onStart: (scheduledMs: number, lateMs: number) => void, warnings: Warnings) {
  const children = Array.from({ length: count }, (_, i) => {
    const config: WorkerProcessConfig = { address: replicasFor(addresses, i), workerId: `bench-process-${i}`, concurrency };
    // Forked with this process's Node flags, so the child runs TypeScript as this one does.
    const child = fork(WORKER_PROCESS, [JSON.stringify(config)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("message", (m: WorkerProcessMessage) => ("started" in m ? m.started.forEach(([s, late]) => onStart(s, late)) : warnings.add(m.warning)));
    return child;
  });
  const exited = children.map((c) => new Promise<void>((resolve) => (c.exitCode !== null ? resolve() : c.once("exit", () => resolve()))));
  return {
    async stop() {
      for (const c of children) if (c.connected) c.send("stop");
      const kill = setTimeout(() => children.forEach((c) => c.kill("SIGKILL")), 30_000);
      await Promise.all(exited);
      clearTimeout(kill);
    },
  };
}

/** CPU seconds of a process from /proc (Linux; USER_HZ is 100 there); undefined elsewhere. */
function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function machineTimes() {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle;
    total += sum;
    busy += sum - times.idle;
  }
  return { busy, total };
}

/** How busy the whole machine is over `ms`, in % of all cores: other work skews every figure here. */
export async function machineBusyPct(ms: number): Promise<number> {
  const m0 = machineTimes();
  await sleep(ms);
  const m1 = machineTimes();
  return round((100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total), 1);
}

export interface Usage {
  wallMs: number;
  controlPlaneCpuS?: number;
  benchProcessCpuS: number;
  /** All cores together; the rest of the busy time is mostly Postgres. */
  machineBusyPct: number;
}

/** Starts measuring CPU use of the control plane, this process and the machine; call the result to read. */
export function startMeter(controlPlanePid: number): () => Usage {
  const t0 = performance.now();
  const child0 = procCpuSeconds(controlPlanePid);
  const self0 = process.cpuUsage();
  const m0 = machineTimes();
  return () => {
    const child1 = procCpuSeconds(controlPlanePid);
    const self1 = process.cpuUsage(self0);
    const m1 = machineTimes();
    return {
      wallMs: Math.round(performance.now() - t0),
      controlPlaneCpuS: child0 === undefined || child1 === undefined ? undefined : round(child1 - child0, 2),
      benchProcessCpuS: round((self1.user + self1.system) / 1e6, 2),
      machineBusyPct: round((100 * (m1.busy - m0.busy)) / Math.max(1, m1.total - m0.total), 1),
    };
  };
}

/** Run counts in Postgres, for the FAIL checks: every run SUCCEEDED on its first attempt. */
export async function verifyRuns(databaseUrl: string, expected: number): Promise<{ counts: Record<string, number>; failures: string[] }> {
  const { rows } = await withDb(databaseUrl, (c) =>
    c.query<{ runs: number; succeeded: number; first_attempt: number; attempts: number }>(
      `SELECT count(*)::int AS runs,
              count(*) FILTER (WHERE state = 'SUCCEEDED')::int AS succeeded,
              count(*) FILTER (WHERE state = 'SUCCEEDED' AND attempt = 1)::int AS first_attempt,
              sum(jsonb_array_length(attempts))::int AS attempts
         FROM runs`,
    ),
  );
  const counts = rows[0]!;
  const failures: string[] = [];
  if (counts.runs !== expected) failures.push(`expected ${expected} runs in Postgres, found ${counts.runs}`);
  if (counts.first_attempt !== expected) failures.push(`expected ${expected} runs SUCCEEDED with attempt 1, found ${counts.first_attempt} (SUCCEEDED at all: ${counts.succeeded})`);
  return { counts, failures };
}

export async function countInState(client: pg.Client, state: string): Promise<number> {
  return (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM runs WHERE state = $1", [state])).rows[0]!.n;
}

/** Creates `count` tasks in batches of 1,000, one batch at a time, as a client submitting a backlog would. */
export async function createInBatches(client: TaskplaneClient, count: number, spec: () => TaskSpecInit): Promise<void> {
  for (let i = 0; i < count; i += 1_000) await client.createTasks(Array.from({ length: Math.min(1_000, count - i) }, spec));
}

export const round = (x: number, digits = 0) => Math.round(x * 10 ** digits) / 10 ** digits;

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Linear interpolation between ranks, the same definition as Postgres' percentile_cont. */
export function percentiles(values: number[]): Percentiles {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => {
    if (s.length === 0) return NaN;
    const i = p * (s.length - 1);
    const lo = Math.floor(i);
    return s[lo]! + (s[Math.ceil(i)]! - s[lo]!) * (i - lo);
  };
  return { n: s.length, p50: round(at(0.5), 1), p99: round(at(0.99), 1), max: round(s.at(-1) ?? NaN, 1) };
}

export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}`);
  for (const r of cells.slice(1)) console.log(line(r));
}

export const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? "n/a" : n.toLocaleString("en-US", { maximumFractionDigits: digits }));

/** A clean SIGTERM ends in exit code 0; anything else means the graceful shutdown was cut short. */
export function warnIfUncleanExit(exit: Awaited<ReturnType<ControlPlaneProcess["stop"]>>): void {
  if (exit.code !== 0) console.log(`  WARN control plane exited ${JSON.stringify(exit)} after SIGTERM, not with code 0`);
}

/** A log line's message and error first (a JSON line's stack would hide them), cut to 300 characters. */
function logLineSummary(line: string): string {
  try {
    const { msg, err, level, time, pid, hostname, ...rest } = JSON.parse(line) as { msg?: string; err?: { message?: string }; [k: string]: unknown };
    return `[${level}] ${msg}${err?.message ? `: ${err.message}` : ""} ${JSON.stringify(rest)}`.slice(0, 300);
  } catch {
    return line.slice(0, 300);
  }
}

/** Prints the resource use and the control plane's own output, the clues to anything slow. */
export function printDiagnostics(usage: Usage | undefined, cp: ControlPlaneProcess, warnings: Warnings): void {
  if (usage) {
    const cpuPct = usage.controlPlaneCpuS === undefined ? "n/a" : fmt((100 * usage.controlPlaneCpuS) / (usage.wallMs / 1000));
    console.log(
      `  during measurement: control plane CPU ${fmt(usage.controlPlaneCpuS, 2)} s over ${fmt(usage.wallMs / 1000, 2)} s wall (${cpuPct}% of one core);` +
        ` bench process CPU ${fmt(usage.benchProcessCpuS, 2)} s; machine busy ${usage.machineBusyPct}% of ${os.cpus().length} cores`,
    );
  }
  console.log(`  worker warnings: ${warnings.count}${warnings.samples.map((s) => `\n    ${s}`).join("")}`);
  const shown = cp.output.lines.slice(0, 10).map((l) => `\n    ${logLineSummary(l)}`).join("");
  console.log(`  control plane ${cp.status()}; output lines (warn and above): ${cp.output.total}${shown}`);
}
