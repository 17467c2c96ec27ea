// A real nats-server with JetStream for tests, on a free loopback port in a temp dir, which a test
// may kill and start again on the same store.
import { mkdtemp } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../src/free-port.js";
import { findBinary, startServiceProcess, type TestService } from "./service-process.js";

export interface TestNats extends TestService {
  url: string;
}

export async function startTestNats(): Promise<TestNats> {
  const binary = findBinary(["nats-server", "/usr/sbin/nats-server"], "apt-get install -y nats-server (the tests need a real nats-server with JetStream)");
  const dir = await mkdtemp(path.join(tmpdir(), "taskplane-nats-"));
  const port = await freePort();
  const args = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir];
  const service = await startServiceProcess({ binary, args, dir, ready: () => waitListening(port) });
  return { ...service, url: `nats://127.0.0.1:${port}` };
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
