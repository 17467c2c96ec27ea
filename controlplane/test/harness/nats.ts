// A real nats-server with JetStream for tests, on a free loopback port in a temp dir, which a test
// may kill and start again on the same store.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../src/free-port.js";

export interface TestNats {
  url: string;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestNats(): Promise<TestNats> {
  const binary = ["nats-server", "/usr/sbin/nats-server"].find((b) => !spawnSync(b, ["--version"]).error);
  if (!binary) throw new Error("nats-server is not installed: apt-get install -y nats-server (the tests need a real nats-server with JetStream)");
  const dir = await mkdtemp(path.join(tmpdir(), "taskplane-nats-"));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(binary, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir], { stdio: "ignore" });
    await waitListening(port);
  };
  const kill = async () => {
    const exited = new Promise((r) => child?.once("exit", r));
    child?.kill("SIGKILL");
    await exited;
    child = undefined;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    kill,
    start,
    stop: async () => {
      if (child) await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitListening(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port }, () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nats-server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
