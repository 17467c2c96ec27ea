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

/** Runs `fn` in a transaction on one client of the pool. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const result = await fn(client);
    await client.query("COMMIT");
    return result;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
