// `npm run bench [-- throughput|lateness|schedules ...]` (default: throughput and lateness; schedules,
// ~15 minutes at its default million schedules, runs only when named). Uses TASKPLANE_BENCH_PG_URL or a
// throwaway embedded Postgres; each scenario gets a fresh database and its own control plane child
// process. Prints a table per scenario, then one `BENCH_RESULT {...}` JSON line; exits 1 on any FAIL.
import os from "node:os";
import { startTestPostgres, type TestPostgres } from "../controlplane/test/harness/postgres.js";
import { PEER_REFERENCE, machineBusyPct, withDb, type ScenarioResult } from "./scenarios/common.js";
import { lateness } from "./scenarios/lateness.js";
import { deploymentName, useCluster } from "./scenarios/deployment.js";
import { startTestEtcd } from "../controlplane/test/harness/etcd.js";
import { startTestNats, type TestNats } from "../controlplane/test/harness/nats.js";
import { throughput } from "./scenarios/throughput.js";
import { SCHEDULES_WATCHDOG_MS, schedules } from "./scenarios/schedules.js";

const SCENARIOS: Record<string, (serverUrl: string) => Promise<ScenarioResult>> = { throughput, lateness, schedules };
/** Too long for every `npm run bench`: run when named. */
const OPT_IN = new Set(["schedules"]);
// Every step has its own bound; this is the backstop should one still hang.
const WATCHDOG_MS = 6 * 60_000 + (process.argv.includes("schedules") ? SCHEDULES_WATCHDOG_MS : 0);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const clustered = args.includes("--cluster");
  const names = args.filter((a) => a !== "--cluster");
  const unknown = names.filter((n) => !(n in SCENARIOS));
  if (unknown.length) {
    console.error(`unknown scenario ${unknown.join(", ")}; choose from: ${Object.keys(SCENARIOS).join(", ")}`);
    return 2;
  }
  const selected = names.length ? names : Object.keys(SCENARIOS).filter((n) => !OPT_IN.has(n));
  const started = Date.now();
  const busyBefore = await machineBusyPct(1_000);
  console.log(`machine busy before start: ${busyBefore}% of ${os.cpus().length} cores${busyBefore > 10 ? " (something else is running: figures will be skewed)" : ""}`);
  const server = await postgres();
  stopOnSignal.push(() => server.stop());
  const services = clustered ? await Promise.all([startTestEtcd(), startTestNats()]) : [];
  stopOnSignal.push(...services.map((s) => () => s.stop()));
  if (clustered) useCluster({ etcd: services[0]!.endpoint, nats: (services[1] as TestNats).url });
  console.log(`deployment: ${deploymentName()}`);
  const results: Record<string, ScenarioResult> = {};
  try {
    const settings = await withDb(server.url, async (c) => {
      const show = async (name: string) => (await c.query<Record<string, string>>(`SHOW ${name}`)).rows[0]![name]!;
      return { version: await show("server_version"), fsync: await show("fsync"), synchronous_commit: await show("synchronous_commit") };
    });
    const source = process.env.TASKPLANE_BENCH_PG_URL ? "TASKPLANE_BENCH_PG_URL" : "embedded (throwaway)";
    console.log(`Postgres ${settings.version} (${source}); fsync=${settings.fsync}, synchronous_commit=${settings.synchronous_commit}`);
    for (const name of selected) {
      try {
        results[name] = await SCENARIOS[name]!(server.url);
      } catch (e) {
        results[name] = { figures: {}, failures: [`did not complete: ${(e as Error).message}`] };
      }
    }
    const failures = Object.entries(results).flatMap(([name, r]) => r.failures.map((f) => `${name}: ${f}`));
    console.log("");
    for (const f of failures) console.log(`FAIL ${f}`);
    if (!failures.length) console.log(`OK all checks passed (${selected.join(", ")})`);
    const result = {
      ok: failures.length === 0,
      scenarios: results,
      reference: PEER_REFERENCE,
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, totalMemoryBytes: os.totalmem(), busyBeforeStartPct: busyBefore, platform: `${os.platform()} ${os.release()}`, arch: os.arch() },
      node: process.version,
      postgres: { ...settings, source },
      deployment: deploymentName(),
      totalMs: Date.now() - started,
    };
    console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
    return failures.length ? 1 : 0;
  } finally {
    await Promise.allSettled(services.map((s) => s.stop()));
    await server.stop();
  }
}

async function postgres(): Promise<TestPostgres> {
  if (process.env.TASKPLANE_BENCH_PG_URL) return { url: process.env.TASKPLANE_BENCH_PG_URL, stop: async () => {} };
  // startTestPostgres would reuse a test server named in TASKPLANE_TEST_PG_URL; the bench wants its own.
  delete process.env.TASKPLANE_TEST_PG_URL;
  // Durable as in production: the test servers run with fsync off, the bench's may not.
  return startTestPostgres({ durable: true });
}

/** The servers this bench started, stopped on Ctrl-C or a kill too: an interrupted bench leaves no Postgres, etcd or nats-server running. */
const stopOnSignal: (() => Promise<unknown>)[] = [];
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.once(signal, () => {
    console.error(`bench: ${signal}; stopping the servers it started`);
    // Control planes and worker processes go with this process (the exit hooks in the harness and common.ts).
    void Promise.allSettled(stopOnSignal.map((stop) => stop())).then(() => process.exit(code));
  });
}

setTimeout(() => {
  console.error(`FAIL bench still running after ${WATCHDOG_MS / 1000} s; giving up`);
  process.exit(3); // the exit hook in common.ts still SIGTERMs any control plane left running
}, WATCHDOG_MS).unref();

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`FAIL ${e.stack ?? e.message}`);
    process.exit(1);
  },
);
