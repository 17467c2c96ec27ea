// Structured logs: every line is JSON; at debug level each attempt's start and report is a line
// with its task, run, attempt and trace ids, and lines inside a traced call carry its trace id.
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunState } from "@taskplane/sdk";
import { createLogger } from "../src/telemetry/logger.js";
import { setupTracing } from "../src/telemetry/tracing.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("logs", () => {
  const lines: Record<string, unknown>[] = [];
  let stopTracing: () => Promise<void>;
  let tp: TestControlPlane;

  beforeAll(async () => {
    stopTracing = setupTracing({ exporter: new InMemorySpanExporter() });
    const logger = createLogger("debug", { write: (line: string) => void lines.push(JSON.parse(line)) });
    tp = await startTestControlPlane({}, { logger });
    tp.worker({ handlers: { logged: async () => "ok" } });
  });
  afterAll(async () => {
    await tp.stop();
    await stopTracing();
  });

  it("logs each attempt's start and report with task, run, attempt and trace ids", async () => {
    const { task, firstRun } = await tp.client.createTask({ type: "logged" });
    await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
    const traceId = firstRun!.traceparent.split("-")[1];
    const about = await eventually(async () => lines.filter((l) => l.runId === firstRun!.id), (ls) => ls.length >= 2);
    const started = about.find((l) => l.msg === "attempt started")!;
    const reported = about.find((l) => l.msg === "attempt reported")!;
    expect(started).toMatchObject({ level: 20, taskId: task!.id, attempt: 1, traceId });
    expect(typeof started.workerId).toBe("string");
    expect(reported).toMatchObject({ attempt: 1, outcome: "succeeded", accepted: true, traceId });
    expect(lines.find((l) => l.msg === "control plane listening")).toMatchObject({ level: 30, port: expect.any(Number) });
  });
});
