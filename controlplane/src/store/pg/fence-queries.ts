import { FencedWriteError } from "../store.js";
import type { Queryable } from "./db.js";

/**
 * First statement of every scheduler transaction: raise the fence to this leader's token, or fail
 * when a newer leader's is in force. The row lock it takes also orders concurrent leaders' writes.
 */
export async function raiseFence(db: Queryable, token: bigint): Promise<void> {
  const { rows } = await db.query<{ token: string }>(
    `WITH raised AS (UPDATE scheduler_fence SET token = $1 WHERE token <= $1 RETURNING token)
     SELECT token FROM raised UNION ALL SELECT token FROM scheduler_fence WHERE NOT EXISTS (SELECT 1 FROM raised)`,
    [token.toString()],
  );
  const current = BigInt(rows[0]!.token);
  if (current !== token) throw new FencedWriteError(token, current);
  await db.query("SELECT set_config('taskplane.fence', $1, true)", [token.toString()]);
}

/** The fencing token of the scheduler transaction this runs in, or the row's own outside one. */
export const FENCE_TOKEN_SQL = "COALESCE(NULLIF(current_setting('taskplane.fence', true), '')::bigint, fence_token)";
