// Callbacks over real HTTP: signed per Standard Webhooks, retried durably with the same id,
// refused where they could reach private networks, and delivered once across replicas.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CallbackEvent, Code, DeliveryState, duration, json, schedules, verifyWebhook, type Delivery } from "@taskplane/sdk";
import { DEFAULT_CALLBACK_SETTINGS, type CallbackSettings } from "../src/callbacks/callback-settings.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { codeOf } from "./harness/error-code.js";
import { startWebhookReceiver, type WebhookReceiver } from "./harness/webhook-receiver.js";

const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;
const SERVER_SECRET = newSecret();
const TEAL_SECRET = newSecret();
// The receiver listens on 127.0.0.2, the only loopback address callbacks may reach here, so
// 127.0.0.1 and localhost stand in for the private addresses the guard must refuse.
const RECEIVER_HOST = "127.0.0.2";
const settings = (over: Partial<CallbackSettings> = {}): CallbackSettings => ({
  ...DEFAULT_CALLBACK_SETTINGS,
  secrets: [SERVER_SECRET],
  namespaceSecrets: { teal: [TEAL_SECRET] },
  allowedNetworks: [`${RECEIVER_HOST}/32`],
  initialBackoffMs: 100,
  maxBackoffMs: 400,
  pollIntervalMs: 50,
  maxAgeMs: 4_000,
  ...over,
});

describe("callbacks", () => {
  let tp: TestControlPlane;
  let rx: WebhookReceiver;
  let path = 0;
  const nextPath = () => `/hook/${++path}`;
  const posts = (p: string) => rx.received.filter((r) => r.path === p);

  const handlers = {
    add: async (p: unknown) => ({ sum: (p as { a: number; b: number }).a + (p as { a: number; b: number }).b }),
    fail: async () => {
      throw new Error("nope");
    },
  };
  beforeAll(async () => {
    rx = await startWebhookReceiver(RECEIVER_HOST);
    tp = await startTestControlPlane({}, { config: { callbacks: settings() } });
    tp.worker({ handlers, concurrency: 20 });
  });
  afterAll(async () => {
    await tp.stop();
    await rx.close();
  });

  /** Creates a one-time task with a callback to a fresh path; returns the path and its first run. */
  async function runWithCallback(type: string, callback: { events?: CallbackEvent[]; secrets?: string[] } = {}, extra = {}) {
    const p = nextPath();
    const { task, firstRun } = await tp.client.createTask({ type, payload: json({ a: 1, b: 2 }), callback: { url: rx.url(p), ...callback }, ...extra });
    return { p, task: task!, run: firstRun! };
  }

  const settled = (runId: string, count = 1) =>
    eventually(
      async () => (await tp.client.deliveries({ runId })).deliveries,
      (ds) => ds.length >= count && ds.every((d) => d.state !== DeliveryState.PENDING),
    );

  it("signs and POSTs run.succeeded once, with the run's output", async () => {
    const { p, task, run } = await runWithCallback("add");
    const [delivery] = await settled(run.id);
    expect(delivery!.state).toBe(DeliveryState.SUCCEEDED);
    expect(delivery!.event).toBe(CallbackEvent.RUN_SUCCEEDED);
    expect(delivery!.attempts.map((a) => a.statusCode)).toEqual([204]);
    const [post] = posts(p);
    expect(posts(p)).toHaveLength(1);
    expect(post!.headers["webhook-id"]).toBe(delivery!.id);
    expect(post!.headers["content-type"]).toBe("application/json");
    const event = verifyWebhook(SERVER_SECRET, post!.headers as Record<string, string>, post!.body);
    expect(event.type).toBe("run.succeeded");
    expect(event.data).toMatchObject({ taskId: task.id, runId: run.id, taskType: "add", attempt: 1, state: "SUCCEEDED", output: { json: { sum: 3 } } });
    expect(event.data.durationMs).toBeGreaterThanOrEqual(0);
    expect(() => verifyWebhook(newSecret(), post!.headers as Record<string, string>, post!.body)).toThrow();
  });

  it("reports every failed attempt and then the run's failure", async () => {
    const { p, run } = await runWithCallback("fail", { events: [CallbackEvent.ATTEMPT_FAILED, CallbackEvent.RUN_FAILED] }, {
      retryPolicy: { maxAttempts: 2, initialBackoff: duration(50) },
    });
    await settled(run.id, 3);
    const events = posts(p).map((r) => verifyWebhook(SERVER_SECRET, r.headers as Record<string, string>, r.body));
    const seen = events.map((e) => `${e.type}#${e.data.attempt}:${e.data.willRetry}`).sort();
    expect(seen).toEqual(["attempt.failed#1:true", "attempt.failed#2:false", "run.failed#2:false"]);
    expect(events.find((e) => e.type === "run.failed")!.data.error).toMatchObject({ message: "nope" });
  });

  it("retries with the same webhook-id and body until the receiver takes it, honouring Retry-After", async () => {
    const p = nextPath();
    rx.answer(p, { status: 500, body: "down for maintenance" }, { status: 429, headers: { "retry-after": "1" } }, { status: 204 });
    const { task } = await tp.client.createTask({ type: "add", payload: json({ a: 2, b: 2 }), callback: { url: rx.url(p) } });
    const [delivery] = await eventually(
      async () => (await tp.client.deliveries({ taskId: task!.id })).deliveries,
      (ds) => ds[0]?.state === DeliveryState.SUCCEEDED,
    );
    expect(delivery!.attempts.map((a) => a.statusCode)).toEqual([500, 429, 204]);
    expect(delivery!.attempts[0]!.responsePrefix).toBe("down for maintenance");
    const sent = posts(p);
    expect(new Set(sent.map((s) => s.headers["webhook-id"]))).toEqual(new Set([delivery!.id]));
    expect(new Set(sent.map((s) => s.body)).size).toBe(1);
    expect(sent[2]!.at - sent[1]!.at).toBeGreaterThanOrEqual(950);
  });

  it("stops on 410 Gone, and records a redirect as a failure without following it", async () => {
    const gone = nextPath();
    rx.answer(gone, { status: 410 });
    const moved = nextPath();
    rx.answer(moved, { status: 302, headers: { location: rx.url("/elsewhere") } }, { status: 200 });
    const first = (await tp.client.createTask({ type: "add", payload: json({ a: 0, b: 0 }), callback: { url: rx.url(gone) } })).firstRun!;
    const second = (await tp.client.createTask({ type: "add", payload: json({ a: 0, b: 0 }), callback: { url: rx.url(moved) } })).firstRun!;
    const [stopped] = await settled(first.id);
    expect(stopped!.state).toBe(DeliveryState.STOPPED);
    expect(stopped!.attempts).toHaveLength(1);
    const [redirected] = await settled(second.id);
    expect(redirected!.state).toBe(DeliveryState.SUCCEEDED);
    expect(redirected!.attempts.map((x) => x.statusCode)).toEqual([302, 200]);
    expect(redirected!.attempts[0]!.error).toContain("not followed");
    expect(rx.received.filter((r) => r.path === "/elsewhere")).toHaveLength(0);
  });

  it("gives up when the retry window runs out, and sends again on request with the same id", async () => {
    const p = nextPath();
    rx.answer(p, { status: 500 });
    const retried = await tp.client.createTask({ type: "add", payload: json({ a: 1, b: 1 }), callback: { url: rx.url(p) } });
    const [failed] = await settled(retried.firstRun!.id);
    expect(failed!.state).toBe(DeliveryState.FAILED);
    expect(failed!.attempts.length).toBeGreaterThanOrEqual(3);
    expect(failed!.attempts.every((a) => a.statusCode === 500)).toBe(true);

    rx.answer(p, { status: 204 });
    const before = posts(p).length;
    const again = await tp.client.redeliver(failed!.id);
    expect(again.state).toBe(DeliveryState.PENDING);
    const [done] = await eventually(
      async () => (await tp.client.deliveries({ runId: retried.firstRun!.id })).deliveries,
      (ds) => ds[0]?.state === DeliveryState.SUCCEEDED,
    );
    expect(done!.attempts.at(-1)!.statusCode).toBe(204);
    expect(posts(p).slice(before).map((r) => r.headers["webhook-id"])).toEqual([failed!.id]);
    expect(await codeOf(tp.client.redeliver("msg_nosuchdelivery"))).toBe(Code.NotFound);
  });

  it("records a reply with binary bytes in it, and stops pending events when the callback is removed", async () => {
    const binary = nextPath();
    rx.answer(binary, { status: 200, body: "ok\u0000\u0001gz" });
    const ok = await tp.client.createTask({ type: "add", payload: json({ a: 1, b: 1 }), callback: { url: rx.url(binary) } });
    const [recorded] = await settled(ok.firstRun!.id);
    expect(recorded!.state).toBe(DeliveryState.SUCCEEDED);
    expect(recorded!.attempts[0]!.responsePrefix).toBe("ok\ufffd\ufffdgz");

    const down = nextPath();
    rx.answer(down, { status: 500 });
    const { task, firstRun } = await tp.client.createTask({ type: "add", payload: json({ a: 2, b: 2 }), callback: { url: rx.url(down) } });
    await eventually(async () => posts(down).length, (n) => n >= 1);
    await tp.client.updateCallback(task!.id, undefined);
    const [stopped] = await settled(firstRun!.id);
    expect(stopped!.state).toBe(DeliveryState.STOPPED);
  });

  it("refuses, when the task is created, callbacks it could never deliver", async () => {
    const create = (url: string, secrets?: string[]) => tp.client.createTask({ type: "add", callback: { url, secrets } });
    expect(await codeOf(create("http://10.0.0.1/hook"))).toBe(Code.InvalidArgument);
    expect(await codeOf(create("http://127.0.0.1:9/hook"))).toBe(Code.InvalidArgument);
    expect(await codeOf(create("http://[::ffff:169.254.169.254]/latest"))).toBe(Code.InvalidArgument);
    expect(await codeOf(create("ftp://example.com/hook"))).toBe(Code.InvalidArgument);
    expect(await codeOf(create(rx.url("/x"), ["not-a-secret"]))).toBe(Code.InvalidArgument);
    expect(await codeOf(tp.client.deliveries({}))).toBe(Code.InvalidArgument);
  });

  it("refuses at send time a name that resolves to a private address, and never reaches it", async () => {
    const local = await startWebhookReceiver("127.0.0.1");
    try {
      const url = local.url("/private").replace("127.0.0.1", "localhost");
      const { firstRun } = await tp.client.createTask({ type: "add", payload: json({ a: 1, b: 1 }), callback: { url } });
      const [d] = await eventually(
        async () => (await tp.client.deliveries({ runId: firstRun!.id })).deliveries,
        (ds) => (ds[0]?.attempts.length ?? 0) >= 2,
      );
      expect(d!.attempts[0]!.statusCode).toBe(0);
      expect(d!.attempts[0]!.error).toMatch(/loopback/);
      expect(local.received).toHaveLength(0);
    } finally {
      await local.close();
    }
  });

  it("signs a namespace's events with that namespace's secret", async () => {
    const p = nextPath();
    tp.worker({ namespace: "teal", handlers: { add: async () => ({ sum: 0 }) } });
    const { firstRun } = await tp.client.createTask({ namespace: "teal", type: "add", payload: json({ a: 0, b: 0 }), callback: { url: rx.url(p) } });
    await settled(firstRun!.id);
    const [post] = posts(p);
    expect(verifyWebhook(TEAL_SECRET, post!.headers as Record<string, string>, post!.body).data.runId).toBe(firstRun!.id);
    expect(() => verifyWebhook(SERVER_SECRET, post!.headers as Record<string, string>, post!.body)).toThrow();
  });

  it("signs with the task's own secrets, with both during a rotation, and never returns them", async () => {
    const [oldSecret, newer] = [newSecret(), newSecret()];
    const p = nextPath();
    const { task } = await tp.client.createTask({ type: "add", schedule: schedules.manual(), callback: { url: rx.url(p), secrets: [oldSecret] } });
    expect(task!.spec!.callback!.url).toBe(rx.url(p));
    expect(task!.spec!.callback!.secrets).toEqual([]);
    expect(task!.spec!.callback!.events).toEqual([CallbackEvent.RUN_SUCCEEDED, CallbackEvent.RUN_FAILED]);

    await tp.client.updateCallback(task!.id, { url: rx.url(p), secrets: [newer, oldSecret] });
    expect((await tp.client.get(task!.id)).spec!.callback!.secrets).toEqual([]);
    const run = await tp.client.trigger(task!.id, json({ a: 5, b: 5 }));
    await settled(run.id);
    const [post] = posts(p);
    const headers = post!.headers as Record<string, string>;
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifyWebhook(oldSecret, headers, post!.body).data.runId).toBe(run.id);
    expect(verifyWebhook(newer, headers, post!.body).data.runId).toBe(run.id);
    expect(() => verifyWebhook(SERVER_SECRET, headers, post!.body)).toThrow();

    await tp.client.updateCallback(task!.id, undefined);
    const quiet = await tp.client.trigger(task!.id, json({ a: 1, b: 1 }));
    await eventually(() => tp.client.getRun(quiet.id), (r) => r.endTime !== undefined);
    expect((await tp.client.deliveries({ runId: quiet.id })).deliveries).toEqual([]);
  });

  it("delivers each event exactly once with two replicas sending, and refuses callbacks a replica cannot sign", async () => {
    const unsigned = await startTestControlPlane({}, { databaseUrl: tp.databaseUrl, config: { callbacks: settings({ secrets: [] }) } });
    const second = await startTestControlPlane({}, { databaseUrl: tp.databaseUrl, config: { callbacks: settings() } });
    // Each replica here schedules on its own (single-node leadership) and hands a run only to its
    // own polls: whichever fires a run first, a worker is polling it.
    second.worker({ handlers, concurrency: 20 });
    try {
      expect(await codeOf(unsigned.client.createTask({ type: "add", callback: { url: rx.url("/x") } }))).toBe(Code.FailedPrecondition);
      await unsigned.stop();
      const p = nextPath();
      const { task } = await tp.client.createTask({ type: "add", schedule: schedules.manual(), callback: { url: rx.url(p) } });
      const runs = await Promise.all(Array.from({ length: 30 }, (_, i) => tp.client.trigger(task!.id, json({ a: i, b: 0 }))));
      const all = await eventually(
        async () => (await tp.client.deliveries({ taskId: task!.id, pageSize: 100 })).deliveries,
        (ds: Delivery[]) => ds.length === runs.length && ds.every((d) => d.state === DeliveryState.SUCCEEDED),
      );
      expect(all.every((d) => d.attempts.length === 1)).toBe(true);
      expect(posts(p)).toHaveLength(runs.length);
      expect(new Set(posts(p).map((r) => r.headers["webhook-id"])).size).toBe(runs.length);
    } finally {
      await second.stop();
    }
  });

  it("keeps a pending delivery across a control-plane restart", async () => {
    const p = nextPath();
    rx.answer(p, { status: 503, headers: { "retry-after": "2" } }, { status: 204 });
    const { firstRun } = await tp.client.createTask({ type: "add", payload: json({ a: 3, b: 4 }), callback: { url: rx.url(p) } });
    await eventually(async () => posts(p).length, (n) => n >= 1);
    await tp.stop();
    await tp.restart();
    const [d] = await eventually(
      async () => (await tp.client.deliveries({ runId: firstRun!.id })).deliveries,
      (ds) => ds[0]?.state === DeliveryState.SUCCEEDED,
    );
    expect(d!.attempts.map((a) => a.statusCode)).toEqual([503, 204]);
    expect(new Set(posts(p).map((r) => r.headers["webhook-id"]))).toEqual(new Set([d!.id]));
  });
});
