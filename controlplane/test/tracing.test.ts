// One trace per run: the CreateTask call, the fire, the dispatch, the worker's execution and the
// report all share the trace id stored on the run.
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunState, schedules } from "@taskplane/sdk";
import { setupTracing } from "../src/telemetry/tracing.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("tracing", () => {
  const exporter = new InMemorySpanExporter();
  let stopTracing: () => Promise<void>;
  let tp: TestControlPlane;

  beforeAll(async () => {
    stopTracing = setupTracing({ exporter });
    tp = await startTestControlPlane();
    tp.worker({ handlers: { traced: async () => "ok" } });
  });
  afterAll(async () => {
    await tp.stop();
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
  });
});
