// /metrics on the API port: what a Prometheus scrape sees after real work over gRPC.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, NonRetryableError, Priority, schedules } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { codeOf } from "./harness/error-code.js";

/** The value of one series in Prometheus text, e.g. sample(text, 'taskplane_runs{state="QUEUED"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("metrics", () => {
  let tp: TestControlPlane;
  const scrape = async () => {
    const res = await fetch(`${tp.address}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    return res.text();
  };

  beforeAll(async () => {
    tp = await startTestControlPlane();
    tp.worker({
      handlers: {
        ok: async () => "done",
        bad: async () => {
          throw new NonRetryableError("no");
        },
      },
    });
  });
  afterAll(() => tp.stop());

  it("counts tasks, attempts, API calls by code, lateness, and reads runs, queues and leadership from the cluster", async () => {
    await tp.client.createTasks([{ type: "ok" }, { type: "ok" }, { type: "bad" }]);
    await tp.client.createTask({ type: "later", schedule: schedules.at(new Date(Date.now() + 3_600_000)) });
    await tp.client.createTask({ type: "nobody.polls", queue: "idle", priority: Priority.HIGH });
    expect(await codeOf(tp.client.createTask({ type: "" }))).toBe(Code.InvalidArgument);

    // The cluster gauges are read at most every 5 s, so wait for them too.
    const text = await eventually(
      scrape,
      (t) =>
        sample(t, 'taskplane_attempts_total{outcome="succeeded"}') === 2 &&
        sample(t, 'taskplane_attempts_total{outcome="failed"}') === 1 &&
        sample(t, 'taskplane_queue_depth{queue="idle",priority="HIGH"}') === 1 &&
        (sample(t, "taskplane_fire_lateness_seconds_count") ?? 0) >= 4,
    );
    expect(sample(text, "taskplane_tasks_created_total")).toBe(5);
    expect(sample(text, 'taskplane_api_requests_total{method="BatchCreateTasks",code="ok"}')).toBe(1);
    expect(sample(text, 'taskplane_api_requests_total{method="CreateTask",code="InvalidArgument"}')).toBe(1);
    expect(sample(text, "taskplane_fire_lateness_seconds_count")).toBeGreaterThanOrEqual(4);
    expect(sample(text, "taskplane_start_lateness_seconds_count")).toBeGreaterThanOrEqual(3);
    expect(sample(text, "taskplane_leader")).toBe(1);
    expect(sample(text, "taskplane_fence_token")).toBeGreaterThan(0);
    expect(sample(text, 'taskplane_runs{state="SCHEDULED"}')).toBe(1);
    expect(sample(text, "taskplane_polls_waiting")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "taskplane_process_cpu_seconds_total")).toBeGreaterThan(0);
  });

  it("answers only the metrics named, leaving out names it does not know", async () => {
    const only = async (...names: string[]) => {
      const res = await fetch(`${tp.address}/metrics?${names.map((n) => `name=${n}`).join("&")}`);
      expect(res.status).toBe(200);
      return res.text();
    };
    const text = await only("taskplane_leader", "taskplane_nodejs_heap_size_used_bytes", "taskplane_start_lateness_seconds", "no_such_metric");
    const names = new Set(text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/[{ ]/)[0]));
    expect(names).toEqual(
      new Set(["taskplane_leader", "taskplane_nodejs_heap_size_used_bytes", ...["bucket", "sum", "count"].map((s) => `taskplane_start_lateness_seconds_${s}`)]),
    );
    expect(sample(text, "taskplane_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(sample(await only("taskplane_workers_active"), "taskplane_workers_active")).toBeGreaterThanOrEqual(0);
  });

  it("leaves the RPC paths alone", async () => {
    const res = await fetch(`${tp.address}/taskplane.v1.TaskService/ListTasks`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pageSize: 1 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty("tasks");
  });
});
