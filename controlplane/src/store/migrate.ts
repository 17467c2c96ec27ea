// Numbered SQL migrations, each in its own transaction, serialised across processes by an
// advisory lock so replicas starting together apply each migration once.
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { withClient } from "./pg/db.js";

const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));
const LOCK_KEY = 7_070_001;
const MIN_SERVER_VERSION = 130000;

export interface MigrationResult {
  applied: string[];
}

export function migrate(pool: pg.Pool): Promise<MigrationResult> {
  return withClient(pool, async (client) => {
    try {
      await checkServerVersion(client);
      await client.query("SELECT pg_advisory_lock($1)", [LOCK_KEY]);
      await client.query(
        "CREATE TABLE IF NOT EXISTS taskplane_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const done = new Set((await client.query<{ name: string }>("SELECT name FROM taskplane_migrations")).rows.map((r) => r.name));
      const applied: string[] = [];
      for (const name of (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).sort()) {
        if (done.has(name)) continue;
        const sql = await readFile(MIGRATIONS_DIR + name, "utf8");
        await client.query("BEGIN");
        try {
          await client.query(sql);
          await client.query("INSERT INTO taskplane_migrations (name) VALUES ($1)", [name]);
          await client.query("COMMIT");
        } catch (e) {
          await client.query("ROLLBACK");
          throw new Error(`migration ${name} failed: ${(e as Error).message}`, { cause: e });
        }
        applied.push(name);
      }
      return { applied };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [LOCK_KEY]).catch(() => {});
    }
  });
}

async function checkServerVersion(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  if (Number(rows[0]!.v) < MIN_SERVER_VERSION) {
    throw new Error(`Taskplane needs PostgreSQL 13 or newer; this server is version ${rows[0]!.v}`);
  }
}
