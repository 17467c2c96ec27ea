// ClusterService over real gRPC: the overview counts what Postgres holds, the worker list shows
// who polls and what they run, and both stay within the caller's namespaces.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, json, Priority, RunState, TaskplaneClient } from "@taskplane/sdk";
import { loadLocalKeys, mintToken, type LocalKeys } from "../src/auth/local-keys.js";
import type { Role } from "../src/auth/principal.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { codeOf } from "./harness/error-code.js";

const manual = { kind: { case: "manual" as const, value: {} } };
const noRetry = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };

describe("cluster overview and workers", () => {
  let dir: string;
  let keys: LocalKeys;
  let tp: TestControlPlane;
  const token = (subject: string, namespaces: string[], roles: Role[]) => mintToken(keys, { subject, roles, namespaces, queues: ["*"], ttlSeconds: 600 });
  const client = async (subject: string, namespaces: string[], roles: Role[] = ["admin"]) =>
    new TaskplaneClient({ address: tp.address, token: await token(subject, namespaces, roles), retry: noRetry });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-cluster-"));
    keys = await loadLocalKeys(dir);
    tp = await startTestControlPlane({}, { config: { auth: keys.settings } });
  });
  afterAll(async () => {
    await tp.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("counts runs by state, the minute's successes and lateness, queue depths and the leader", async () => {
    const admin = await client("ops", ["*"]);
    const { task } = await admin.createTask({ namespace: "blue", type: "paint", queue: "walls", schedule: manual });
    const runs = await Promise.all([1, 2, 3].map(() => admin.trigger(task!.id, json({}))));
    // Nothing polls "walls" yet: all three wait there at NORMAL priority.
    const waiting = await eventually(() => admin.overview({ namespace: "blue" }), (o) => o.queueDepths[0]?.queued === 3n);
    expect(waiting.queueDepths).toEqual([expect.objectContaining({ namespace: "blue", queue: "walls", priority: Priority.NORMAL, queued: 3n, running: 0n })]);

    const worker = tp.worker({ token: await token("painter", ["blue"], ["worker"]), namespace: "blue", queue: "walls", handlers: { paint: async () => "done" } });
    for (const run of runs) await eventually(() => admin.getRun(run.id), (r) => r.state === RunState.SUCCEEDED);
    // One reading serves callers for 2 s: wait for one made after the runs ended.
    const overview = await eventually(() => admin.overview({ namespace: "blue" }), (o) => o.runsByState.some((s) => s.state === RunState.SUCCEEDED && s.count === 3n));
    expect(overview.runsByState).toEqual([expect.objectContaining({ state: RunState.SUCCEEDED, count: 3n })]);
    expect(overview.queueDepths).toEqual([]);
    expect(overview.lastHour).toHaveLength(60);
    const thisMinute = overview.lastHour.at(-1)!;
    // The runs may straddle a minute boundary: count over the last two minutes.
    const lastTwo = overview.lastHour.slice(-2);
    expect(lastTwo.reduce((n, m) => n + m.succeeded, 0n)).toBe(3n);
    expect(lastTwo.reduce((n, m) => n + m.started, 0n)).toBe(3n);
    expect(thisMinute.minute!.seconds * 1000n).toBeLessThanOrEqual(BigInt(Date.now()));
    expect(lastTwo.every((m) => m.latenessP99Ms >= m.latenessP50Ms)).toBe(true);
    expect(overview.connectedWorkers).toBe(1);
    expect(overview.leader!.id).toMatch(/:\d+$/);
    expect(overview.leader!.token).toBeGreaterThan(0n);
    await worker.shutdown();
  });

  it("lists workers with what they run, within the caller's namespaces", async () => {
    const admin = await client("ops", ["*"]);
    const { task } = await admin.createTask({ namespace: "red", type: "slow", queue: "kiln", schedule: manual, timeouts: { heartbeat: { seconds: 5n } } });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const worker = tp.worker({ workerId: "kiln-1", token: await token("potter", ["red"], ["worker"]), namespace: "red", queue: "kiln", handlers: { slow: () => held } });
    const run = await admin.trigger(task!.id, json({}));
    await eventually(() => admin.getRun(run.id), (r) => r.state === RunState.RUNNING);

    const red = await client("red-viewer", ["red"], ["viewer"]);
    const [listed] = await red.workers({ namespace: "red" });
    expect(listed).toMatchObject({ workerId: "kiln-1", namespace: "red", queue: "kiln", taskTypes: ["slow"], principal: "potter", runningAttempts: 1, connected: true });
    expect(Date.now() - Number(listed!.lastSeen!.seconds) * 1000).toBeLessThan(60_000);
    expect(await red.workers({ queue: "other" })).toEqual([]);

    // Another tenant sees neither the worker nor the red runs, and may not name red.
    const blue = await client("blue-viewer", ["blue"], ["viewer"]);
    expect((await blue.workers()).map((w) => w.namespace)).not.toContain("red");
    expect((await blue.overview()).queueDepths.filter((q) => q.namespace === "red")).toEqual([]);
    expect(await codeOf(blue.overview({ namespace: "red" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(blue.workers({ namespace: "red" }))).toBe(Code.PermissionDenied);
    // A worker token may not read the overview.
    const workerOnly = await client("potter", ["red"], ["worker"]);
    expect(await codeOf(workerOnly.overview())).toBe(Code.PermissionDenied);

    release();
    await eventually(() => admin.getRun(run.id), (r) => r.state === RunState.SUCCEEDED);
    await worker.shutdown();
  });
});
