// The worker protocol over real gRPC: retries with backoff, timeouts that reassign, stale
// reports refused without changing anything, heartbeat details, logs and batched reports.
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { AttemptOutcome, Code, ConnectError, json, NonRetryableError, RunState, schedules } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

const ms = (t: { seconds: bigint; nanos: number } | undefined) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);

describe("worker protocol", () => {
  let tp: TestControlPlane;
  let raw: ReturnType<typeof createClient<typeof WorkerService>>;

  beforeAll(async () => {
    tp = await startTestControlPlane();
    raw = createClient(WorkerService, createGrpcTransport({ baseUrl: tp.address }));
    tp.worker({
      handlers: {
        "flaky.twice": async (_p, ctx) => {
          if (ctx.attempt < 3) throw new TypeError(`attempt ${ctx.attempt} failed`);
          return { attempt: ctx.attempt };
        },
        "always.fails": async () => {
          throw new Error("still broken");
        },
        "refuses.input": async () => {
          throw new NonRetryableError("bad input", "ValidationError");
        },
        "resumes.progress": async (_p, ctx) => {
          ctx.log(`attempt ${ctx.attempt} starting`);
          ctx.heartbeat(`progress-from-${ctx.attempt}`);
          if (ctx.attempt === 1) {
            await new Promise((r) => setTimeout(r, 400));
            throw new Error("crashed after progress");
          }
          return { resumedFrom: new TextDecoder().decode(ctx.lastHeartbeatDetails) };
        },
        "too.slow": async (_p, ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))),
      },
      concurrency: 10,
    });
  });
  afterAll(() => tp.stop());

  it("retries a failing run with exponential backoff until it succeeds", async () => {
    const { firstRun } = await tp.client.createTask({
      type: "flaky.twice",
      retryPolicy: { maxAttempts: 5, initialBackoff: { nanos: 200_000_000 }, backoffCoefficient: 2, jitter: 0.01 },
    });
    const run = await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
    expect(run.attempt).toBe(3);
    expect(run.attempts.map((a) => a.error?.type ?? "")).toEqual(["TypeError", "TypeError", ""]);
    const gap1 = ms(run.attempts[1]!.startTime) - ms(run.attempts[0]!.endTime);
    const gap2 = ms(run.attempts[2]!.startTime) - ms(run.attempts[1]!.endTime);
    expect(gap1).toBeGreaterThanOrEqual(190);
    expect(gap2).toBeGreaterThanOrEqual(390);
  });

  it("ends FAILED when attempts run out, and at once for a non-retryable error", async () => {
    const exhausted = await tp.client.createTask({ type: "always.fails", retryPolicy: { maxAttempts: 2, initialBackoff: { nanos: 50_000_000 } } });
    const refused = await tp.client.createTask({ type: "refuses.input", retryPolicy: { maxAttempts: 5 } });
    const a = await eventually(() => tp.client.getRun(exhausted.firstRun!.id), (r) => r.state === RunState.FAILED);
    const b = await eventually(() => tp.client.getRun(refused.firstRun!.id), (r) => r.state === RunState.FAILED);
    expect(a.attempt).toBe(2);
    expect(a.error!.message).toBe("still broken");
    expect(b.attempt).toBe(1);
    expect(b.error).toMatchObject({ type: "ValidationError", nonRetryable: true });
  });

  it("hands heartbeat details to the next attempt and keeps each attempt's logs", async () => {
    const { firstRun } = await tp.client.createTask({
      type: "resumes.progress",
      timeouts: { heartbeat: { nanos: 300_000_000 } },
      retryPolicy: { initialBackoff: { nanos: 10_000_000 } },
    });
    const run = await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
    expect(JSON.parse(new TextDecoder().decode(run.output!.data))).toEqual({ resumedFrom: "progress-from-1" });
    const logs = await tp.client.logs(run.id);
    expect(logs.map((l) => [l.attempt, l.message])).toEqual([
      [1, "attempt 1 starting"],
      [2, "attempt 2 starting"],
    ]);
  });

  it("times out an attempt whose worker stopped heartbeating, retries it elsewhere, and refuses the late report", async () => {
    const { firstRun } = await tp.client.createTask({
      type: "ghost.work",
      timeouts: { heartbeat: { nanos: 500_000_000 } },
      retryPolicy: { initialBackoff: { nanos: 10_000_000 } },
    });
    // A worker that takes the run and then goes silent, as a crashed process would.
    const { assignments } = await raw.pollTasks({ workerId: "ghost", taskTypes: ["ghost.work"], maxTasks: 1, wait: { seconds: 5n } });
    expect(assignments.map((a) => a.runId)).toEqual([firstRun!.id]);
    const timedOut = await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.attempts[0]?.outcome === AttemptOutcome.TIMED_OUT);
    expect([RunState.RETRYING, RunState.QUEUED]).toContain(timedOut.state);
    expect(timedOut.attempts[0]).toMatchObject({ workerId: "ghost", error: { type: "HeartbeatTimeout" } });
    // A healthy worker picks up attempt 2.
    const second = await raw.pollTasks({ workerId: "healthy", taskTypes: ["ghost.work"], maxTasks: 1, wait: { seconds: 5n } });
    expect(second.assignments[0]).toMatchObject({ runId: firstRun!.id, attempt: 2 });
    const late = await raw.completeRun({ runId: firstRun!.id, attempt: 1, output: json("late") }).catch((e) => ConnectError.from(e));
    expect((late as ConnectError).code).toBe(Code.FailedPrecondition);
    const hb = await raw.heartbeat({ runId: firstRun!.id, attempt: 1 }).catch((e) => ConnectError.from(e));
    expect((hb as ConnectError).code).toBe(Code.FailedPrecondition);
    await raw.completeRun({ runId: firstRun!.id, attempt: 2, output: json("on time") });
    const done = await tp.client.getRun(firstRun!.id);
    expect(done.state).toBe(RunState.SUCCEEDED);
    expect(JSON.parse(new TextDecoder().decode(done.output!.data))).toBe("on time");
    expect(done.attempts.map((a) => a.workerId)).toEqual(["ghost", "healthy"]);
  });

  it("times out an attempt past its start-to-close timeout and ends TIMED_OUT when attempts run out", async () => {
    const { firstRun } = await tp.client.createTask({
      type: "too.slow",
      timeouts: { startToClose: { nanos: 300_000_000 }, heartbeat: { seconds: 10n } },
      retryPolicy: { maxAttempts: 1 },
    });
    const run = await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.TIMED_OUT);
    expect(run.attempts[0]!.error!.type).toBe("StartToCloseTimeout");
  });

  it("accepts and refuses reports one by one in a batch, and a duplicate report changes nothing", async () => {
    const tasks = await tp.client.createTasks([{ type: "batch.item" }, { type: "batch.item" }]);
    const polled = await eventually(
      () => raw.pollTasks({ workerId: "batcher", taskTypes: ["batch.item"], maxTasks: 2, wait: { seconds: 2n } }),
      (r) => r.assignments.length > 0,
    );
    const more = polled.assignments.length < 2
      ? (await raw.pollTasks({ workerId: "batcher", taskTypes: ["batch.item"], maxTasks: 1, wait: { seconds: 2n } })).assignments
      : [];
    const [a, b] = [...polled.assignments, ...more];
    expect(new Set([a!.taskId, b!.taskId])).toEqual(new Set(tasks.map((t) => t.id)));
    const { results } = await raw.reportRuns({
      reports: [
        { runId: a!.runId, attempt: a!.attempt, result: { case: "output", value: json(1) } },
        { runId: b!.runId, attempt: b!.attempt + 1, result: { case: "output", value: json(2) } },
        { runId: b!.runId, attempt: b!.attempt, result: { case: "error", value: { type: "Oops", message: "no", nonRetryable: true } } },
      ],
    });
    expect(results.map((r) => r.accepted)).toEqual([true, false, true]);
    expect(results[1]!.refusal).toContain("no longer current");
    const dup = await raw.reportRuns({ reports: [{ runId: a!.runId, attempt: a!.attempt, result: { case: "error", value: { message: "late" } } }] });
    expect(dup.results[0]!.accepted).toBe(false);
    expect((await tp.client.getRun(a!.runId)).state).toBe(RunState.SUCCEEDED);
    expect((await tp.client.getRun(b!.runId)).state).toBe(RunState.FAILED);
  });

  it("holds a poll until work arrives and gives higher priorities first", async () => {
    const waiting = raw.pollTasks({ workerId: "waiter", taskTypes: ["prio.item"], maxTasks: 3, wait: { seconds: 10n } });
    await new Promise((r) => setTimeout(r, 200));
    const at = new Date(Date.now() + 500);
    await tp.client.createTasks([
      { type: "prio.item", priority: 4, payload: json("low"), schedule: schedules.at(at) },
      { type: "prio.item", priority: 1, payload: json("critical"), schedule: schedules.at(at) },
      { type: "prio.item", priority: 3, payload: json("normal"), schedule: schedules.at(at) },
    ]);
    const { assignments } = await waiting;
    const order = assignments.map((a) => JSON.parse(new TextDecoder().decode(a.payload!.data)));
    expect(order).toEqual(["critical", "normal", "low"]);
    for (const a of assignments) expect(Date.now()).toBeGreaterThanOrEqual(ms(a.scheduledTime));
  });

  it("answers a poll with no work when its wait is over, even after a garbage collection", async () => {
    // The control plane runs in this process: collect its garbage while the poll waits.
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const waiting = raw.pollTasks({ workerId: "idle", taskTypes: ["nothing.comes"], maxTasks: 1, wait: { seconds: 1n } }, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 200));
    gc();
    expect((await waiting).assignments).toEqual([]);
  });
});
