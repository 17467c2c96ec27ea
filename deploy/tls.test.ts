// docker-compose's TLS, its parts tried here: make-certs.sh makes a CA and a server certificate
// once, a control plane serves with them, and the compose healthcheck (Node trusting the CA
// through NODE_EXTRA_CA_CERTS) and an SDK client reach it over TLS by the names in the certificate.
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskplaneClient } from "@taskplane/sdk";
import { startTestControlPlane, type TestControlPlane } from "../controlplane/test/harness/control-plane.js";

const script = fileURLToPath(new URL("./tls/make-certs.sh", import.meta.url));
const makeCerts = (dir: string) => execFileSync("bash", [script, dir, "controlplane-1", "controlplane-2"], { encoding: "utf8" });

describe("docker-compose TLS", () => {
  let dir: string;
  let tp: TestControlPlane;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-certs-"));
    expect(makeCerts(dir)).toContain("DNS:controlplane-1, DNS:controlplane-2, DNS:localhost, IP:127.0.0.1");
    const read = (f: string) => readFile(path.join(dir, f));
    tp = await startTestControlPlane({}, { config: { tls: { cert: await read("server.pem"), key: await read("server-key.pem") } }, clientTls: { ca: await read("ca.pem") } });
  });
  afterAll(async () => {
    await tp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the certificate it made on a second start, and leaves no CA key behind", async () => {
    const before = await readFile(path.join(dir, "server.pem"), "utf8");
    expect(makeCerts(dir)).toContain("keeping it");
    expect(await readFile(path.join(dir, "server.pem"), "utf8")).toBe(before);
    await expect(readFile(path.join(dir, "ca-key.pem"))).rejects.toThrow(/ENOENT/);
  });

  it("serves TLS that the healthcheck and an SDK client trust by the CA alone", async () => {
    const port = tp.plane.port;
    const healthcheck = `fetch('https://localhost:${port}/taskplane.v1.TaskService/ListTasks',{method:'POST',headers:{'content-type':'application/json'},body:'{}'}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
    // Asynchronously: the control plane answers from this very process.
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<number>((resolve) => execFile(process.execPath, ["-e", healthcheck], { env: { PATH: process.env.PATH, ...env } }, (e) => resolve(e ? Number(e.code) : 0)));
    expect(await run({ NODE_EXTRA_CA_CERTS: path.join(dir, "ca.pem") })).toBe(0);
    expect(await run({})).toBe(1);

    const client = new TaskplaneClient({ address: `https://localhost:${port}`, tls: { ca: await readFile(path.join(dir, "ca.pem")) }, retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 } });
    const { task } = await client.createTask({ type: "over-tls", schedule: { kind: { case: "manual", value: {} } } });
    expect((await client.get(task!.id)).spec!.type).toBe("over-tls");
  });
});
