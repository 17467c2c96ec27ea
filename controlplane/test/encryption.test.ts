// Payloads encrypted at rest, over real gRPC and a real Postgres: workers, clients and callback
// receivers see plaintext (payloads, outputs, logs, error messages), the database holds none of it; a flipped byte or a ciphertext moved to another task fails loudly
// (DATA_LOSS); rotation keeps old data readable and `taskplane keys rotate` lets the old key go.
import { randomBytes } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, decodePayload, json, NonRetryableError, NotificationEvent, RunState, TaskplaneClient } from "@taskplane/sdk";
import { DEFAULT_CALLBACK_SETTINGS } from "../src/callbacks/callback-settings.js";
import { DEFAULT_NOTIFICATION_SETTINGS } from "../src/notifications/notification-settings.js";
import { startControlPlane } from "../src/control-plane.js";
import { loadConfig } from "../src/config.js";
import { parseKeyRing } from "../src/security/key-ring.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { withDb } from "./harness/db.js";
import { codeOf } from "./harness/error-code.js";
import { runCli } from "./harness/taskplane-cli.js";
import { startWebhookReceiver, type WebhookReceiver } from "./harness/webhook-receiver.js";

const keyEntry = (id: string) => `${id}:${randomBytes(32).toString("base64")}`;
const k1 = keyEntry("k1");
const k2 = keyEntry("k2");
const manual = { kind: { case: "manual" as const, value: {} } };
const SECRET = "hunter2-payload";

describe("payloads encrypted at rest", () => {
  let tp: TestControlPlane;
  let taskId: string;
  let runId: string;
  const sql = <T extends Record<string, unknown>>(text: string, params: unknown[] = []) => withDb(tp.databaseUrl, async (db) => (await db.query<T>(text, params)).rows);
  /** A second control plane on the same database with other keys, for as long as `fn` runs. */
  const withKeys = async <T>(keys: string | undefined, fn: (client: TaskplaneClient) => Promise<T>) => {
    const config = { ...loadConfig({ port: 0 }, {}), databaseUrl: tp.databaseUrl, encryptionKeys: keys ? parseKeyRing(keys) : undefined };
    const plane = await startControlPlane(config, { logger: pino({ level: "silent" }) });
    try {
      return await fn(new TaskplaneClient({ address: `http://127.0.0.1:${plane.port}`, retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 } }));
    } finally {
      await plane.stop();
    }
  };

  let rx: WebhookReceiver;

  beforeAll(async () => {
    rx = await startWebhookReceiver("127.0.0.2");
    const callbacks = { ...DEFAULT_CALLBACK_SETTINGS, secrets: [`whsec_${randomBytes(24).toString("base64")}`], allowedNetworks: ["127.0.0.2/32"], pollIntervalMs: 50 };
    const notifications = { ...DEFAULT_NOTIFICATION_SETTINGS, pollIntervalMs: 100 };
    tp = await startTestControlPlane({}, { config: { encryptionKeys: parseKeyRing(k1), callbacks, notifications } });
    tp.worker({
      handlers: {
        secretive: async (payload, ctx) => {
          ctx.log(`got ${(payload as { secret: string }).secret}`);
          return { echoed: (payload as { secret: string }).secret };
        },
        leaky: async (payload) => {
          throw new NonRetryableError(`could not use ${(payload as { secret: string }).secret}`, "LeakyError");
        },
      },
    });
    const { task } = await tp.client.createTask({ type: "secretive", schedule: manual, payload: json({ secret: SECRET }) });
    taskId = task!.id;
    const run = await tp.client.trigger(taskId);
    runId = run.id;
    await eventually(() => tp.client.getRun(runId), (r) => r.state === RunState.SUCCEEDED);
  });
  afterAll(async () => {
    await tp.stop();
    await rx.close();
  });

  it("hands workers and clients plaintext while Postgres holds only ciphertext", async () => {
    expect(decodePayload((await tp.client.get(taskId)).spec!.payload)).toEqual({ secret: SECRET });
    expect(decodePayload((await tp.client.getRun(runId)).output)).toEqual({ echoed: SECRET });
    expect((await tp.client.logs(runId)).map((l) => l.message)).toContain(`got ${SECRET}`);

    const [task] = await sql<{ payload: Buffer; data_key: Buffer | null }>("SELECT payload, data_key FROM tasks WHERE id = $1", [taskId]);
    expect(task!.data_key).not.toBeNull();
    expect(task!.payload.toString("latin1")).not.toContain(SECRET);
    const [run] = await sql<{ output: Buffer }>("SELECT output FROM runs WHERE id = $1", [runId]);
    expect(run!.output.toString("latin1")).not.toContain(SECRET);
    const logs = await sql<{ message: string }>("SELECT message FROM run_logs WHERE run_id = $1", [runId]);
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) expect(l.message).not.toContain(SECRET);
  });

  it("seals a worker's error message and the callback event quoting it, and opens both for whoever reads them", async () => {
    const { task } = await tp.client.createTask({ type: "leaky", payload: json({ secret: "error-secret" }), callback: { url: rx.url("/leaky") }, schedule: manual });
    await tp.client.createNotificationRule({ scope: { case: "taskId", value: task!.id }, events: [NotificationEvent.RETRIES_EXHAUSTED], channel: { case: "slack", value: { webhookUrl: rx.url("/slack") } } });
    await tp.client.trigger(task!.id);
    const runId = (await eventually(() => tp.client.runs({ taskId: task!.id }), (r) => r.runs.length === 1)).runs[0]!.id;
    const failed = await eventually(() => tp.client.getRun(runId), (r) => r.state === RunState.FAILED);
    expect(failed.error!.message).toBe("could not use error-secret");
    expect(failed.attempts[0]!.error!.message).toBe("could not use error-secret");
    const [posted] = await eventually(async () => rx.received.filter((r) => r.path === "/leaky"), (r) => r.length > 0);
    expect(JSON.parse(posted!.body).data.error.message).toBe("could not use error-secret");
    const [slack] = await eventually(async () => rx.received.filter((r) => r.path === "/slack"), (r) => r.length > 0);
    expect(JSON.parse(slack!.body).text).toContain("could not use error-secret");

    const [run] = await sql<{ error: unknown; attempts: unknown }>("SELECT error, attempts FROM runs WHERE id = $1", [runId]);
    expect(JSON.stringify(run)).not.toContain("error-secret");
    expect(JSON.stringify(run)).toContain("LeakyError");
    const deliveries = await eventually(() => sql<{ body: string | null }>("SELECT body FROM callback_deliveries WHERE run_id = $1", [runId]), (d) => d[0]?.body != null);
    expect(deliveries[0]!.body).not.toContain("error-secret");
    const events = await sql<{ detail: string }>("SELECT detail FROM notification_events WHERE run_id = $1", [runId]);
    expect(events.length).toBe(1);
    expect(events[0]!.detail).not.toContain("error-secret");
  });

  it("seals a triggered run's own payload too", async () => {
    const run = await tp.client.trigger(taskId, json({ secret: "override-secret" }));
    const done = await eventually(() => tp.client.getRun(run.id), (r) => r.state === RunState.SUCCEEDED);
    expect(decodePayload(done.output)).toEqual({ echoed: "override-secret" });
    const [row] = await sql<{ payload_override: Buffer }>("SELECT payload_override FROM runs WHERE id = $1", [run.id]);
    expect(row!.payload_override.toString("latin1")).not.toContain("override-secret");
  });

  it("answers DATA_LOSS for a flipped ciphertext byte, or a ciphertext moved to another task", async () => {
    const { task: other } = await tp.client.createTask({ type: "secretive", schedule: manual, payload: json({ secret: "other" }) });
    const { task: victim } = await tp.client.createTask({ type: "secretive", schedule: manual, payload: json({ secret: "victim" }) });
    // Moved: the other task's sealed payload under the victim's id (its data key cannot open it, and the AAD names the other task).
    await sql("UPDATE tasks SET payload = (SELECT payload FROM tasks WHERE id = $1) WHERE id = $2", [other!.id, victim!.id]);
    expect(await codeOf(tp.client.get(victim!.id))).toBe(Code.DataLoss);
    // Flipped: one byte of the sealed payload.
    await sql("UPDATE tasks SET payload = set_byte(payload, 20, get_byte(payload, 20) # 1) WHERE id = $1", [other!.id]);
    expect(await codeOf(tp.client.get(other!.id))).toBe(Code.DataLoss);
    // The intact task is untouched.
    expect(decodePayload((await tp.client.get(taskId)).spec!.payload)).toEqual({ secret: SECRET });
    await sql("DELETE FROM tasks WHERE id = ANY($1::uuid[])", [[other!.id, victim!.id]]);
  });

  it("reads old data after rotation, and lets the old key go once data keys are re-wrapped", async () => {
    const newer = await withKeys(`${k2},${k1}`, async (client) => {
      expect(decodePayload((await client.get(taskId)).spec!.payload)).toEqual({ secret: SECRET });
      return (await client.createTask({ type: "secretive", schedule: manual, payload: json({ secret: "newer" }) })).task!.id;
    });
    const wrappedUnder = async (id: string) => (await sql<{ data_key: Buffer }>("SELECT data_key FROM tasks WHERE id = $1", [id]))[0]!.data_key.subarray(2, 4).toString();
    expect(await wrappedUnder(newer)).toBe("k2");
    expect(await wrappedUnder(taskId)).toBe("k1");

    // Without k1, the task wrapped by it is lost to this server, and says which key it needs.
    await withKeys(k2, async (client) => {
      const e = await client.get(taskId).catch((err: unknown) => err as { code: Code; rawMessage: string });
      expect(e).toMatchObject({ code: Code.DataLoss, rawMessage: expect.stringContaining("k1") });
    });

    const rotated = await runCli(["keys", "rotate", "--database", tp.databaseUrl], { env: { TASKPLANE_ENCRYPTION_KEYS: `${k2},${k1}` } });
    expect(rotated).toMatchObject({ code: 0, stderr: "" });
    // Every task but the one made under k2 was wrapped by k1.
    const [{ count }] = await sql<{ count: string }>("SELECT count(*) FROM tasks WHERE data_key IS NOT NULL");
    expect(rotated.stdout.trim()).toBe(`${Number(count) - 1} of ${count} encrypted tasks re-wrapped under k2; keys other than k2 are no longer needed`);
    expect(await wrappedUnder(taskId)).toBe("k2");
    expect((await runCli(["keys", "rotate", "--database", tp.databaseUrl], { env: { TASKPLANE_ENCRYPTION_KEYS: k2 } })).stdout).toMatch(/^0 of \d+ encrypted tasks re-wrapped under k2/);

    await withKeys(k2, async (client) => {
      expect(decodePayload((await client.get(taskId)).spec!.payload)).toEqual({ secret: SECRET });
      expect(decodePayload((await client.getRun(runId)).output)).toEqual({ echoed: SECRET });
      expect((await client.logs(runId)).map((l) => l.message)).toContain(`got ${SECRET}`);
    });
  });

  it("refuses to start without keys on a database that holds encrypted tasks", async () => {
    await expect(withKeys(undefined, async () => {})).rejects.toThrow(/encrypted tasks but no keys are configured/);
  });
});
