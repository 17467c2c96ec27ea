// A real etcd for tests: Debian's etcd-server on free loopback ports in a temp dir, which a test
// may kill and start again on the same data.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Etcd3 } from "etcd3";
import { freePort } from "../../src/free-port.js";

export interface TestEtcd {
  endpoint: string;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same data and ports. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestEtcd(): Promise<TestEtcd> {
  if (spawnSync("etcd", ["--version"]).error) {
    throw new Error("etcd is not installed: apt-get install -y etcd-server (the tests need a real etcd 3.4)");
  }
  const dir = await mkdtemp(path.join(tmpdir(), "taskplane-etcd-"));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    "--name", "test", "--data-dir", path.join(dir, "data"),
    "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
    "--initial-cluster", `test=${peer}`, "--log-level", "error",
  ];
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("etcd", args, { stdio: "ignore" });
    await waitHealthy(endpoint);
  };
  const kill = async () => {
    const exited = new Promise((r) => child?.once("exit", r));
    child?.kill("SIGKILL");
    await exited;
    child = undefined;
  };
  await start();
  return {
    endpoint,
    kill,
    start,
    stop: async () => {
      if (child) await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitHealthy(endpoint: string): Promise<void> {
  const client = new Etcd3({ hosts: endpoint, dialTimeout: 500 });
  const deadline = Date.now() + 15_000;
  try {
    for (;;) {
      try {
        await client.get("health").exec();
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`etcd at ${endpoint} did not become healthy: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.close();
  }
}
