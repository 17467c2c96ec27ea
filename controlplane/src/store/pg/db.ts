import pg from "pg";

// int8 (bigserial sequences) as string, never a lossy number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

export type Queryable = pg.Pool | pg.PoolClient;

export function createPool(url: string, max = 16): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client losing its connection (Postgres restarting) must not crash the process.
  pool.on("error", () => {});
  return pool;
}

/**
 * Runs `fn` on one client of the pool. The pool stops listening for a client's errors while it is
 * checked out, and a connection dropped between two queries then emits an 'error' no one hears,
 * which would crash the process; the next query fails with it instead.
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const ignore = () => {};
  client.on("error", ignore);
  try {
    return await fn(client);
  } finally {
    client.removeListener("error", ignore);
    client.release();
  }
}

/** Runs `fn` in a transaction on one client of the pool. */
export function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    }
  });
}
