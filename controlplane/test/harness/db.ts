// Direct reads of the database under test, for assertions that look past the API.
import pg from "pg";

export async function withDb<T>(url: string, fn: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

/** The scheduler fencing token in force: the latest leader's. */
export async function fenceToken(url: string): Promise<bigint> {
  return withDb(url, async (db) => BigInt((await db.query<{ token: string }>("SELECT token FROM scheduler_fence")).rows[0]!.token));
}
