// The sealed store's edges, against real Postgres: its key cache keeps no wrong answer when it
// evicts mid-batch, and a claimed attempt whose payload will not open fails alone (DataLoss),
// leaving the others of the batch to run.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePayload, json, RunState } from "@taskplane/sdk";
import { parseKeyRing } from "../src/security/key-ring.js";
import { sealedStore } from "../src/security/sealed-store.js";
import { PgStore } from "../src/store/pg/pg-store.js";
import type { Store } from "../src/store/store.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { withDb } from "./harness/db.js";

const ring = parseKeyRing(`k1:${randomBytes(32).toString("base64")}`);
const manual = { kind: { case: "manual" as const, value: {} } };

describe("sealed store", () => {
  let tp: TestControlPlane;
  let pg: PgStore;
  /** A second view of the same database with room for only two keys. */
  let sealed: Store;
  const sql = (text: string, params: unknown[] = []) => withDb(tp.databaseUrl, (db) => db.query(text, params));

  /** A task with a secret payload and a run of it waiting in a queue no worker polls. */
  async function waitingRun(secret: string) {
    const { task } = await tp.client.createTask({ type: "t", queue: "nobody", schedule: manual, payload: json({ secret }) });
    const run = await tp.client.trigger(task!.id);
    await eventually(() => tp.client.getRun(run.id), (r) => r.state === RunState.QUEUED);
    return { taskId: task!.id, runId: run.id };
  }

  beforeAll(async () => {
    tp = await startTestControlPlane({}, { config: { encryptionKeys: ring } });
    pg = await PgStore.open({ url: tp.databaseUrl, poolSize: 2 });
    sealed = sealedStore(pg, ring, { cachedKeys: 2 });
  });
  afterAll(async () => {
    await pg.close();
    await tp.stop();
  });

  it("opens every payload of a batch while its key cache evicts, and seals what it writes", async () => {
    const [a, b, c] = [await waitingRun("secret-a"), await waitingRun("secret-b"), await waitingRun("secret-c")];
    await sealed.getTask(a.taskId);
    await sealed.getTask(b.taskId);
    // Claims carry their wrapped keys: a comes from the cache, c is unwrapped (evicting the oldest).
    const claimed = await sealed.claimRuns([c.runId, a.runId], "w1", new Date());
    expect(Object.fromEntries(claimed.map((x) => [x.runId, decodePayload(x.payload)]))).toEqual({ [a.runId]: { secret: "secret-a" }, [c.runId]: { secret: "secret-c" } });

    for (const { runId } of [a, b, c]) {
      expect(await sealed.appendLogs(runId, 1, [{ time: new Date(), message: `password for ${runId}` }])).not.toBe("not_found");
    }
    const { rows } = await sql("SELECT message FROM run_logs WHERE run_id = ANY($1::uuid[])", [[a.runId, c.runId]]);
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row.message).not.toContain("password");
    expect((await sealed.listRunLogs(a.runId, 0n, 10)).map((l) => l.message)).toEqual([`password for ${a.runId}`]);
    expect(decodePayload((await sealed.getTask(b.taskId))!.spec.payload)).toEqual({ secret: "secret-b" });

    // Outputs of a listing open through lookups that evict while they run: a and b are cached, c is not.
    await sealed.completeAttempts([a, c].map(({ runId }) => ({ runId, attempt: 1, output: json({ out: runId }) })), new Date());
    await sealed.getTask(a.taskId);
    await sealed.getTask(b.taskId);
    const listed = (await sealed.listRuns({ taskId: undefined }, 100, "")).items.filter((r) => r.output);
    expect(Object.fromEntries(listed.map((r) => [r.id, decodePayload(r.output)]))).toEqual({ [a.runId]: { out: a.runId }, [c.runId]: { out: c.runId } });
    const { rows: outputs } = await sql("SELECT output FROM runs WHERE id = ANY($1::uuid[])", [[a.runId, c.runId]]);
    for (const row of outputs) expect(row.output.toString("latin1")).not.toContain(a.runId);
  });

  it("fails an attempt whose payload will not open, and hands out the rest of its batch", async () => {
    const [good, bad] = [await waitingRun("fine"), await waitingRun("doomed")];
    await sql("UPDATE tasks SET data_key = set_byte(data_key, 40, get_byte(data_key, 40) # 1) WHERE id = $1", [bad.taskId]);
    const fresh = sealedStore(pg, ring);
    const claimed = await fresh.claimRuns([bad.runId, good.runId], "w2", new Date());
    expect(claimed.map((x) => [x.runId, decodePayload(x.payload)])).toEqual([[good.runId, { secret: "fine" }]]);
    // Read in Postgres: through the API, the run of a task whose key will not open is DATA_LOSS too.
    const { rows } = await sql("SELECT state, error FROM runs WHERE id = $1", [bad.runId]);
    expect(rows[0]).toMatchObject({ state: "FAILED", error: { type: "DataLoss", nonRetryable: true, message: expect.stringContaining("could not be decrypted") } });
  });
});
