// Starts a control plane on a free port against a fresh database, with clients and workers
// that talk to it over real gRPC.
import { inject } from "vitest";
import { pino, type Logger } from "pino";
import { TaskplaneClient, Worker, type WorkerOptions } from "@taskplane/sdk";
import { loadConfig, type Config } from "../../src/config.js";
import { startControlPlane, type ControlPlane } from "../../src/control-plane.js";
import { createTestDatabase } from "./postgres.js";

export { eventually } from "./eventually.js";

export interface TestControlPlane {
  plane: ControlPlane;
  address: string;
  databaseUrl: string;
  client: TaskplaneClient;
  /** Starts a worker that is shut down with the control plane. */
  worker(options: Omit<WorkerOptions, "address">): Worker;
  /** Stops the control plane (and workers), keeping the database. */
  stop(): Promise<void>;
  /** Starts the control plane again on the same database. */
  restart(): Promise<void>;
}

export interface TestControlPlaneOptions {
  /** The Postgres server to create a fresh database on [the test run's]. */
  serverUrl?: string;
  /** An existing database instead, e.g. to run a second replica on it. */
  databaseUrl?: string;
  config?: Partial<Config>;
  /** What the harness's client trusts and presents when the control plane serves TLS. */
  clientTls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Where the control plane logs [silent, or TASKPLANE_TEST_LOG's level]. */
  logger?: Logger;
}

export async function startTestControlPlane(
  overrides: Partial<Config["scheduler"]> = {},
  options: TestControlPlaneOptions = {},
): Promise<TestControlPlane> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase(options.serverUrl ?? inject("pgUrl")));
  const config: Config = { ...loadConfig({ port: 0 }, {}), databaseUrl, ...options.config };
  config.scheduler = { ...config.scheduler, sweepIntervalMs: 100, ...overrides };
  const logger = options.logger ?? pino({ level: process.env.TASKPLANE_TEST_LOG ?? "silent" });
  const workers: Worker[] = [];
  // A test that stops the control plane and then fails before restarting it still calls stop():
  // stopping twice would throw and hide the failure.
  let running = true;
  const env: TestControlPlane = {
    plane: await startControlPlane(config, { logger }),
    address: "",
    databaseUrl,
    client: undefined as unknown as TaskplaneClient,
    worker(options) {
      const w = Worker.create({ address: env.address, handleSignals: false, pollWaitMs: 2_000, onWarning: () => {}, ...options });
      workers.push(w);
      void w.run();
      return w;
    },
    async stop() {
      await Promise.all(workers.splice(0).map((w) => w.shutdown()));
      if (!running) return;
      running = false;
      await env.plane.stop();
    },
    async restart() {
      env.plane = await startControlPlane({ ...config, port: env.plane.port }, { logger });
      running = true;
    },
  };
  env.address = `${config.tls ? "https" : "http"}://127.0.0.1:${env.plane.port}`;
  env.client = new TaskplaneClient({ address: env.address, tls: config.tls && { ca: options.clientTls?.ca, cert: options.clientTls?.cert, key: options.clientTls?.key }, retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 } });
  return env;
}
