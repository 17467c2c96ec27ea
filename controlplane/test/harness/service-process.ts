// A service binary run as a child process for tests (etcd, nats-server): started, killed with
// SIGKILL as a crash would be, started again on the same data, and cleaned away.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";

export interface TestService {
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same data and ports. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The first of `candidates` that runs, or an error saying how to install it. */
export function findBinary(candidates: string[], installHint: string): string {
  const found = candidates.find((b) => !spawnSync(b, ["--version"]).error);
  if (!found) throw new Error(`${candidates[0]} is not installed: ${installHint}`);
  return found;
}

export async function startServiceProcess(options: {
  binary: string;
  args: string[];
  /** Its data directory, removed by stop(). */
  dir: string;
  ready: () => Promise<void>;
}): Promise<TestService> {
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(options.binary, options.args, { stdio: "ignore" });
    await options.ready();
  };
  const kill = async () => {
    const exited = new Promise((r) => child?.once("exit", r));
    child?.kill("SIGKILL");
    await exited;
    child = undefined;
  };
  await start();
  return {
    kill,
    start,
    stop: async () => {
      if (child) await kill();
      await rm(options.dir, { recursive: true, force: true });
    },
  };
}
