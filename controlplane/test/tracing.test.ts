// One trace per run: the CreateTask call and its Postgres hops, the fire, the dispatch, every
// attempt's execution and report, and the callback all share the trace id stored on the run.
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { duration, RunState, schedules } from "@taskplane/sdk";
import { DEFAULT_CALLBACK_SETTINGS } from "../src/callbacks/callback-settings.js";
import { setupTracing } from "../src/telemetry/tracing.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { startWebhookReceiver, type WebhookReceiver } from "./harness/webhook-receiver.js";

describe("tracing", () => {
  const exporter = new InMemorySpanExporter();
  let stopTracing: () => Promise<void>;
  let tp: TestControlPlane;
  let rx: WebhookReceiver;

  beforeAll(async () => {
    stopTracing = setupTracing({ exporter });
    rx = await startWebhookReceiver("127.0.0.2");
    const callbacks = { ...DEFAULT_CALLBACK_SETTINGS, secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], allowedNetworks: ["127.0.0.2/32"], pollIntervalMs: 50 };
    tp = await startTestControlPlane({}, { config: { callbacks } });
    tp.worker({
      handlers: {
        traced: async () => "ok",
        // Fails its first attempt, so the run has a retry.
        flaky: async (_p, ctx) => {
          if (ctx.attempt === 1) throw new Error("first attempt fails");
          return "ok";
        },
      },
    });
  });
  afterAll(async () => {
    await tp.stop();
    await rx.close();
    await stopTracing();
  });

  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

  it("links submit, fire, dispatch, execute and report in one trace", async () => {
    const { firstRun } = await tp.client.createTask({ type: "traced" });
    const traceId = firstRun!.traceparent.split("-")[1]!;
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
    const names = (await eventually(async () => spansOf(traceId).map((s) => s.name), (n) => n.includes("run.report"))).sort();
    expect(names).toEqual(
      expect.arrayContaining(["taskplane.v1.TaskService/CreateTask", "run.fire", "run.dispatch", "run.execute", "run.report"]),
    );
    const execute = spansOf(traceId).find((s) => s.name === "run.execute")!;
    expect(execute.attributes["taskplane.run_id"]).toBe(firstRun!.id);
  });

  it("keeps retries, the Postgres hops and the callback in the run's trace", async () => {
    const { firstRun } = await tp.client.createTask({
      type: "flaky",
      retryPolicy: { initialBackoff: duration(50) },
      callback: { url: rx.url("/traced") },
    });
    const traceId = firstRun!.traceparent.split("-")[1]!;
    const spans = await eventually(async () => spansOf(traceId), (ss) => ss.some((s) => s.name === "callback.deliver"));
    const named = (name: string) => spans.filter((s) => s.name === name);
    const create = named("taskplane.v1.TaskService/CreateTask")[0]!;
    const storeCreate = named("store.createTasks")[0]!;
    expect(storeCreate.parentSpanContext?.spanId).toBe(create.spanContext().spanId);
    expect(named("run.execute").map((s) => s.attributes["taskplane.attempt"]).sort()).toEqual([1, 2]);
    expect(named("run.report")).toHaveLength(2);
    // Both attempts hang off the run's own span, as siblings: a retry is the same run, not a new trace.
    const parents = new Set(named("run.execute").map((s) => s.parentSpanContext?.spanId));
    expect(parents).toEqual(new Set([firstRun!.traceparent.split("-")[2]]));
    const [post] = await eventually(async () => rx.received.filter((r) => r.path === "/traced"), (r) => r.length === 1);
    expect(String(post!.headers.traceparent).split("-")[1]).toBe(traceId);
    expect(JSON.parse(post!.body).data.traceId).toBe(traceId);
  });

  it("gives each fire of a recurring schedule a trace of its own", async () => {
    const { task } = await tp.client.createTask({ type: "traced", schedule: schedules.every(1_000) });
    const { runs } = await eventually(
      () => tp.client.runs({ taskId: task!.id, state: RunState.SUCCEEDED }),
      (r) => r.runs.length >= 2,
    );
    await tp.client.cancel(task!.id);
    const traces = runs.map((r) => r.traceparent.split("-")[1]);
    expect(new Set(traces).size).toBe(traces.length);
    const later = runs.find((r) => spansOf(r.traceparent.split("-")[1]!).some((s) => s.name === "run.scheduled"));
    expect(later, "a run created by the scheduler starts with a run.scheduled span").toBeDefined();
    // Each fire's trace links to the one before, back to the CreateTask call's trace.
    const scheduled = exporter.getFinishedSpans().filter((s) => s.name === "run.scheduled" && s.attributes["taskplane.task_id"] === task!.id);
    const linked = new Set(scheduled.flatMap((s) => s.links.map((l) => l.context.traceId)));
    const createTrace = exporter.getFinishedSpans().find((s) => s.name === "taskplane.v1.TaskService/CreateTask" && linked.has(s.spanContext().traceId));
    expect(createTrace, "the first scheduled fire links to the trace of the call that created the task").toBeDefined();
  });
});
