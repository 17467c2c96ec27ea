// Scheduler writes take turns in the process, not on the fence row's lock in Postgres: while one
// waits for that lock, the others hold no pooled connection, which claims and reports need.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../src/domain/clock.js";
import { PgStore } from "../src/store/pg/pg-store.js";
import { eventually } from "./harness/eventually.js";
import { createTestDatabase, startTestPostgres, type TestPostgres } from "./harness/postgres.js";

describe("fenced writes", () => {
  let server: TestPostgres;
  let store: PgStore;
  let url: string;
  beforeAll(async () => {
    server = await startTestPostgres();
    url = await createTestDatabase(server.url);
    store = await PgStore.open({ url, poolSize: 4 });
  });
  afterAll(async () => {
    await store.close();
    await server.stop();
  });

  /** Backends of this database waiting for a lock, as Postgres sees them. */
  const waitingOnLocks = async (observer: pg.Client) =>
    (await observer.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )).rows[0]!.n;

  it("wait for one another here, one at a time on the fence row, and all complete", async () => {
    const holder = new pg.Client({ connectionString: url });
    const observer = new pg.Client({ connectionString: url });
    await Promise.all([holder.connect(), observer.connect()]);
    try {
      // Another leader's write in progress: it holds the fence row.
      await holder.query("BEGIN");
      await holder.query("SELECT token FROM scheduler_fence FOR UPDATE");
      const writes = Array.from({ length: 5 }, () => store.timeOutAttempts(systemClock.now(), 10, () => ({ state: "FAILED" }), 1n));
      await eventually(() => waitingOnLocks(observer), (n) => n >= 1);
      // A query of our own gets a pooled connection meanwhile (the pool has 4).
      expect((await store.pool.query("SELECT 1 AS one")).rows[0].one).toBe(1);
      expect(await waitingOnLocks(observer)).toBe(1);
      await holder.query("COMMIT");
      expect(await Promise.all(writes)).toEqual([0, 0, 0, 0, 0]);
    } finally {
      await Promise.all([holder.end(), observer.end()]);
    }
  });
});
