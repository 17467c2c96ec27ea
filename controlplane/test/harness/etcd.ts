// A real etcd for tests: Debian's etcd-server on free loopback ports in a temp dir, which a test
// may kill and start again on the same data.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Etcd3 } from "etcd3";
import { freePort } from "../../src/free-port.js";
import { findBinary, startServiceProcess, type TestService } from "./service-process.js";

export interface TestEtcd extends TestService {
  endpoint: string;
}

export async function startTestEtcd(): Promise<TestEtcd> {
  const binary = findBinary(["etcd"], "apt-get install -y etcd-server (the tests need a real etcd 3.4)");
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
  const service = await startServiceProcess({ binary, args, dir, ready: () => waitHealthy(endpoint) });
  return { ...service, endpoint };
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
