import { FencedWriteError } from "../store.js";
import type { Queryable } from "./db.js";

/**
 * First statement of every scheduler transaction: raise the fence to this leader's token, or fail
 * when a newer leader's is in force. The row lock it takes also orders concurrent leaders' writes.
 */
export async function raiseFence(db: Queryable, token: bigint, holder: string): Promise<void> {
  // The holder and the start of its term are recorded for the overview (who leads, since when).
  const { rows } = await db.query<{ token: string }>(
    `WITH raised AS (
       UPDATE scheduler_fence SET token = $1, holder = $2,
              since = CASE WHEN token < $1 OR holder <> $2 OR since IS NULL THEN now() ELSE since END
        WHERE token <= $1 RETURNING token)
     SELECT token, set_config('taskplane.fence', $1::text, true) FROM raised
     UNION ALL SELECT token, NULL FROM scheduler_fence WHERE NOT EXISTS (SELECT 1 FROM raised)`,
    [token.toString(), holder],
  );
  // The token goes on what the transaction writes (FENCE_TOKEN_SQL), set in the same round trip.
  const current = BigInt(rows[0]!.token);
  if (current !== token) throw new FencedWriteError(token, current);
}

/** The fencing token of the scheduler transaction this runs in, or the row's own outside one. */
export const FENCE_TOKEN_SQL = "COALESCE(NULLIF(current_setting('taskplane.fence', true), '')::bigint, fence_token)";

/** The node whose scheduler wrote last, with its token and the start of its term. */
export async function selectFenceHolder(db: Queryable): Promise<{ holder: string; token: bigint; since?: Date }> {
  const { rows } = await db.query<{ holder: string; token: string; since: Date | null }>("SELECT holder, token, since FROM scheduler_fence");
  const row = rows[0]!;
  return { holder: row.holder, token: BigInt(row.token), since: row.since ?? undefined };
}
