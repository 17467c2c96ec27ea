// TASKPLANE_VIEWER_PAYLOADS=hidden over real gRPC: a viewer-only token reads tasks, runs and logs
// without their data; any other role still sees it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePayload, json, NonRetryableError, RunState, TaskplaneClient } from "@taskplane/sdk";
import { loadLocalKeys, mintToken, type LocalKeys } from "../src/auth/local-keys.js";
import type { Role } from "../src/auth/principal.js";
import { HIDDEN_LOG_LINE } from "../src/api/viewer-redaction.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("payloads hidden from viewers", () => {
  let dir: string;
  let keys: LocalKeys;
  let tp: TestControlPlane;
  const client = async (roles: Role[]) =>
    new TaskplaneClient({ address: tp.address, token: await mintToken(keys, { subject: roles.join("+"), roles, namespaces: ["*"], queues: ["*"], ttlSeconds: 600 }), retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 } });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-viewer-"));
    keys = await loadLocalKeys(dir);
    tp = await startTestControlPlane({}, { config: { auth: keys.settings, hideViewerPayloads: true } });
  });
  afterAll(async () => {
    await tp.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows a viewer tasks, runs and logs without payloads, outputs, log lines or error messages, and others all of it", async () => {
    const admin = await client(["admin"]);
    const worker = tp.worker({
      token: await mintToken(keys, { subject: "w", roles: ["worker"], namespaces: ["*"], queues: ["*"], ttlSeconds: 600 }),
      handlers: {
        card: async (p: unknown, ctx) => (ctx.log("pin 1234"), { pin: (p as { pin: string }).pin }),
        declined: async () => {
          throw new NonRetryableError("card 4111 declined", "Declined");
        },
      },
    });
    const { task, firstRun } = await admin.createTask({ type: "card", payload: json({ pin: "1234" }) });
    await eventually(() => admin.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);

    const viewer = await client(["viewer"]);
    const seen = await viewer.get(task!.id);
    expect(seen.spec!.type).toBe("card");
    expect(seen.spec!.payload!.contentType).toBe("application/json");
    expect(seen.spec!.payload!.data).toHaveLength(0);
    expect((await viewer.getRun(firstRun!.id)).output!.data).toHaveLength(0);
    expect((await viewer.runs({ taskId: task!.id })).runs[0]!.output!.data).toHaveLength(0);
    expect((await viewer.list({})).tasks.every((t) => t.spec!.payload!.data.length === 0)).toBe(true);
    expect((await viewer.logs(firstRun!.id)).map((l) => l.message)).toEqual([HIDDEN_LOG_LINE]);

    const { firstRun: declined } = await admin.createTask({ type: "declined" });
    await eventually(() => admin.getRun(declined!.id), (r) => r.state === RunState.FAILED);
    expect((await viewer.getRun(declined!.id)).error).toMatchObject({ type: "Declined", message: HIDDEN_LOG_LINE });
    expect((await admin.getRun(declined!.id)).error!.message).toBe("card 4111 declined");

    const operator = await client(["viewer", "operator"]);
    expect(decodePayload((await operator.get(task!.id)).spec!.payload)).toEqual({ pin: "1234" });
    expect(decodePayload((await operator.getRun(firstRun!.id)).output)).toEqual({ pin: "1234" });
    expect((await operator.logs(firstRun!.id)).map((l) => l.message)).toEqual(["pin 1234"]);
    await worker.shutdown();
  });
});
