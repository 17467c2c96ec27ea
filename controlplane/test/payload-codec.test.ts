// The SDK's payload codec end to end: a client and a worker sharing aesGcmCodec exchange plaintext
// while the control plane and Postgres only ever see ciphertext; a client without the key gets
// ciphertext it cannot read, and one with another key fails loudly.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aesGcmCodec, decodePayload, ENCRYPTED_CONTENT_TYPE, json, RunState, TaskplaneClient } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { withDb } from "./harness/db.js";

const noRetry = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };

describe("SDK payload codec", () => {
  let tp: TestControlPlane;
  const codec = aesGcmCodec([{ id: "app-1", key: randomBytes(32) }]);

  beforeAll(async () => {
    tp = await startTestControlPlane();
  });
  afterAll(() => tp.stop());

  it("keeps payloads and outputs ciphertext everywhere but in the client and the worker", async () => {
    const client = new TaskplaneClient({ address: tp.address, codec, retry: noRetry });
    const seen: unknown[] = [];
    const worker = tp.worker({ codec, handlers: { sign: async (p) => (seen.push(p), { signed: (p as { doc: string }).doc }) } });
    const { task, firstRun } = await client.createTask({ type: "sign", payload: json({ doc: "contract-42" }) });
    const done = await eventually(() => client.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
    expect(seen).toEqual([{ doc: "contract-42" }]);
    expect(decodePayload(done.output)).toEqual({ signed: "contract-42" });
    expect(decodePayload((await client.get(task!.id)).spec!.payload)).toEqual({ doc: "contract-42" });

    // What the server holds, and what a client without the codec reads: ciphertext.
    const rows = await withDb(tp.databaseUrl, async (db) => (await db.query<{ payload: Buffer; content_type: string; output: Buffer }>("SELECT t.payload, t.content_type, r.output FROM tasks t JOIN runs r ON r.task_id = t.id WHERE t.id = $1", [task!.id])).rows);
    expect(rows[0]!.content_type).toBe(ENCRYPTED_CONTENT_TYPE);
    expect(rows[0]!.payload.toString("latin1")).not.toContain("contract-42");
    expect(rows[0]!.output.toString("latin1")).not.toContain("contract-42");
    const plain = await tp.client.get(task!.id);
    expect(plain.spec!.payload!.contentType).toBe(ENCRYPTED_CONTENT_TYPE);

    const stranger = new TaskplaneClient({ address: tp.address, codec: aesGcmCodec([{ id: "other", key: randomBytes(32) }]), retry: noRetry });
    await expect(stranger.get(task!.id)).rejects.toThrow(/encrypted with key "app-1"/);
    await worker.shutdown();
  });

  it("fails only the attempt whose payload the worker cannot decode", async () => {
    const client = new TaskplaneClient({ address: tp.address, codec, retry: noRetry });
    const plain = new TaskplaneClient({ address: tp.address, retry: noRetry });
    const ran: unknown[] = [];
    const { firstRun: sealedRun } = await client.createTask({ type: "read", queue: "mixed", payload: json({ n: 1 }) });
    const { firstRun: plainRun } = await plain.createTask({ type: "read", queue: "mixed", payload: json({ n: 2 }) });
    const stranger = tp.worker({ queue: "mixed", codec: aesGcmCodec([{ id: "other", key: randomBytes(32) }]), handlers: { read: async (p) => void ran.push(p) } });
    const failed = await eventually(() => plain.getRun(sealedRun!.id), (r) => r.state === RunState.FAILED);
    expect(failed.error).toMatchObject({ type: "PayloadCodecError", nonRetryable: true, message: expect.stringContaining('encrypted with key "app-1"') });
    await eventually(() => plain.getRun(plainRun!.id), (r) => r.state === RunState.SUCCEEDED);
    expect(ran).toEqual([{ n: 2 }]);
    await stranger.shutdown();
  });

  it("decodes with an older key after rotation and refuses a flipped byte", async () => {
    const old = { id: "app-1", key: randomBytes(32) };
    const sealed = await aesGcmCodec([old]).encode(json({ n: 1 }));
    const rotated = aesGcmCodec([{ id: "app-2", key: randomBytes(32) }, old]);
    expect(decodePayload(await rotated.decode(sealed))).toEqual({ n: 1 });
    const flipped = { ...sealed, data: Uint8Array.from(sealed.data, (b, i) => (i === sealed.data.length - 1 ? b ^ 1 : b)) };
    expect(() => rotated.decode(flipped)).toThrow();
  });
});
