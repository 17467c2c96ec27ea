// Namespaces over real gRPC with tokens: a tenant sees, changes and works only its own tasks; another
// tenant's ids answer NOT_FOUND, as if they did not exist; workers take only their namespace's runs.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { Code, createTransport, json, NotificationEvent, RunState, TaskplaneClient, Worker } from "@taskplane/sdk";
import { loadLocalKeys, mintToken, type LocalKeys } from "../src/auth/local-keys.js";
import type { Role } from "../src/auth/principal.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { codeOf } from "./harness/error-code.js";

const noRetry = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };
const manual = { kind: { case: "manual" as const, value: {} } };

describe("namespaces", () => {
  let dir: string;
  let keys: LocalKeys;
  let tp: TestControlPlane;
  let blue: TaskplaneClient;
  let red: TaskplaneClient;
  let admin: TaskplaneClient;
  const tokenFor = (subject: string, namespaces: string[], roles: Role[] = ["admin"]) =>
    mintToken(keys, { subject, roles, namespaces, queues: ["*"], ttlSeconds: 600 });
  const clientFor = async (subject: string, namespaces: string[]) => new TaskplaneClient({ address: tp.address, token: await tokenFor(subject, namespaces), retry: noRetry });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-ns-"));
    keys = await loadLocalKeys(dir);
    tp = await startTestControlPlane({}, { config: { auth: keys.settings } });
    [blue, red, admin] = await Promise.all([clientFor("blue-team", ["blue"]), clientFor("red-team", ["red"]), clientFor("ops", ["*"])]);
  });
  afterAll(async () => {
    await tp.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps each tenant to its own tasks and runs: another's ids are NOT_FOUND, its lists are empty", async () => {
    const { task } = await blue.createTask({ namespace: "blue", type: "paint", schedule: manual });
    const run = await blue.trigger(task!.id, json({}));
    expect(task!.spec!.namespace).toBe("blue");
    expect(run.namespace).toBe("blue");

    const calls = [
      () => red.get(task!.id),
      () => red.trigger(task!.id),
      () => red.cancel(task!.id),
      () => red.pause(task!.id),
      () => red.delete(task!.id),
      () => red.retry(task!.id),
      () => red.getRun(run.id),
      () => red.logs(run.id),
      () => red.runs({ taskId: task!.id }),
      () => red.deliveries({ taskId: task!.id }),
      () => red.deliveries({ runId: run.id }),
      () => red.updateCallback(task!.id, undefined),
    ];
    for (const call of calls) expect(await codeOf(call()), call.toString()).toBe(Code.NotFound);
    expect((await red.list({})).tasks).toEqual([]);
    expect((await red.runs({})).runs).toEqual([]);
    expect((await blue.list({})).tasks.map((t) => t.id)).toEqual([task!.id]);
    expect((await admin.list({ namespace: "blue" })).tasks.map((t) => t.id)).toEqual([task!.id]);
    expect((await blue.get(task!.id)).state).toBeDefined();
  });

  it("refuses writing into, or listing, a namespace the token does not name", async () => {
    expect(await codeOf(blue.createTask({ namespace: "red", type: "paint" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(blue.createTask({ type: "paint" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(blue.list({ namespace: "red" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(blue.createNotificationRule({ namespace: "red", scope: { case: "queue", value: "q" }, events: [NotificationEvent.RUN_SUCCEEDED], channel: { case: "email", value: { to: ["a@example.com"] } } }))).toBe(Code.PermissionDenied);
    const { task } = await red.createTask({ namespace: "red", type: "paint", schedule: manual });
    expect(await codeOf(blue.createNotificationRule({ scope: { case: "taskId", value: task!.id }, events: [NotificationEvent.RUN_SUCCEEDED], channel: { case: "email", value: { to: ["a@example.com"] } } }))).toBe(Code.NotFound);
  });

  it("hands a worker only runs of its namespace, even on a queue of the same name", async () => {
    const { firstRun: blueRun } = await admin.createTask({ namespace: "blue", type: "work", queue: "shared" });
    const { firstRun: redRun } = await admin.createTask({ namespace: "red", type: "work", queue: "shared" });
    const seen: string[] = [];
    const worker = Worker.create({
      address: tp.address,
      token: await tokenFor("blue-worker", ["blue"], ["worker"]),
      namespace: "blue",
      queue: "shared",
      handlers: { work: async (_p, ctx) => void seen.push(ctx.runId) },
      handleSignals: false,
      pollWaitMs: 500,
      onWarning: () => {},
    });
    void worker.run();
    try {
      await eventually(() => admin.getRun(blueRun!.id), (r) => r.state === RunState.SUCCEEDED);
      expect(seen).toEqual([blueRun!.id]);
      expect((await admin.getRun(redRun!.id)).state).toBe(RunState.QUEUED);
    } finally {
      await worker.shutdown();
    }
  });

  it("lets a worker token end its own polls only in its namespaces", async () => {
    const transport = createTransport({ address: tp.address, token: await tokenFor("blue-worker", ["blue"], ["worker"]), retry: noRetry });
    const raw = createClient(WorkerService, transport);
    expect((await raw.shutdownWorker({ workerId: "w", namespace: "blue" })).pollsAnswered).toBe(0);
    expect(await codeOf(raw.shutdownWorker({ workerId: "w", namespace: "red" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(raw.shutdownWorker({ workerId: "w" }))).toBe(Code.PermissionDenied); // the default namespace
  });
});

