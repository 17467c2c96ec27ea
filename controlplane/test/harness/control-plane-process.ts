// A control plane as its own process (`taskplane serve`), for benchmarks and fault tests that
// kill or pause it for real.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { TaskplaneClient } from "@taskplane/sdk";
import { freePort } from "../../src/free-port.js";
import { eventually } from "./eventually.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/taskplane.js", import.meta.url));
/** Node flags for the control plane that NODE_OPTIONS refuses, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it under a bench. */
const NODE_FLAGS = (process.env.TASKPLANE_CONTROL_PLANE_NODE_FLAGS ?? "").split(" ").filter(Boolean);

export interface ProcessOutput {
  lines: string[];
  total: number;
}

export interface ControlPlaneProcess {
  address: string;
  client: TaskplaneClient;
  pid: number;
  /** What it printed (first 500 lines, and how many in all); at --log-level warn each line is a warning or an error. */
  output: ProcessOutput;
  /** "running", or how it exited. */
  status(): string;
  /** SIGTERM, then wait (bounded) for the exit. */
  stop(): Promise<{ code: number | null; signal: string | null; stopMs: number; killed: boolean }>;
  /** Sends a signal as is: SIGKILL to crash it, SIGSTOP and SIGCONT to pause it. */
  signal(name: NodeJS.Signals): void;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
}

// Last resort if the bench dies between start and stop: no orphaned control planes.
const liveChildren = new Set<ChildProcess>();
process.on("exit", () => liveChildren.forEach((c) => c.kill("SIGTERM")));

export interface ControlPlaneProcessOptions {
  /** Extra `taskplane serve` flags, e.g. ["--etcd", url]. */
  flags?: string[];
  env?: Record<string, string>;
  /** [warn]: each output line is then a warning or an error. */
  logLevel?: string;
}

export async function startControlPlaneProcess(databaseUrl: string, options: ControlPlaneProcessOptions = {}): Promise<ControlPlaneProcess> {
  const port = await freePort();
  const args = [...NODE_FLAGS, BIN, "serve", "--insecure-no-auth", "--database", databaseUrl, "--port", String(port), "--log-level", options.logLevel ?? "warn", ...(options.flags ?? [])];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
  liveChildren.add(child);
  const output: ProcessOutput = { lines: [], total: 0 };
  for (const stream of [child.stdout, child.stderr])
    createInterface({ input: stream }).on("line", (l) => output.total++ < 500 && output.lines.push(l));
  let exitInfo: { code: number | null; signal: string | null } | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      liveChildren.delete(child);
      resolve();
    }),
  );
  const address = `http://127.0.0.1:${port}`;
  const client = new TaskplaneClient({ address, retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 } });
  const stop = async () => {
    const t0 = Date.now();
    let killed = false;
    if (!exitInfo) {
      child.kill("SIGTERM");
      // The server's own grace is 10 s; past 20 s something is wrong and SIGKILL ends it.
      const timer = setTimeout(() => ((killed = true), child.kill("SIGKILL")), 20_000);
      await exited;
      clearTimeout(timer);
    }
    return { ...exitInfo!, stopMs: Date.now() - t0, killed };
  };
  try {
    await eventually(
      async () => {
        if (exitInfo) throw new Error(`control plane exited early (${JSON.stringify(exitInfo)}):\n${output.lines.join("\n")}`);
        return client.list({ pageSize: 1 }).then(
          () => true,
          () => false,
        );
      },
      (ok) => ok,
      30_000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  const status = () => (exitInfo ? `exited (${JSON.stringify(exitInfo)})` : "running");
  return { address, client, pid: child.pid!, output, status, stop, signal: (name) => child.kill(name), exited };
}

/** A replica of a cluster: etcd leadership with a short lease (and JetStream dispatch with `nats`), logging at info. */
export function startReplicaProcess(
  databaseUrl: string,
  cluster: { etcd: string; nats?: string; leaderTtlSeconds: number },
): Promise<ControlPlaneProcess> {
  return startControlPlaneProcess(databaseUrl, {
    flags: ["--etcd", cluster.etcd, ...(cluster.nats ? ["--nats", cluster.nats] : [])],
    env: { TASKPLANE_LEADER_TTL_SECONDS: String(cluster.leaderTtlSeconds) },
    logLevel: "info",
  });
}

/** Whether the process leads the scheduler now, by its taskplane_leader gauge. */
export async function isLeader(p: ControlPlaneProcess): Promise<boolean> {
  const text = await (await fetch(`${p.address}/metrics?name=taskplane_leader`)).text();
  return /^taskplane_leader(\{[^}]*\})? 1$/m.test(text);
}
