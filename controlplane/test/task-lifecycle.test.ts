// Steering tasks over real gRPC: cancel, pause, resume, delete, trigger, retry, idempotency,
// listing, and the error codes for bad input and unknown ids.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Code,
  ConnectError,
  json,
  RunState,
  schedules,
  TaskState,
  TaskplaneClient,
} from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

async function expectCode(promise: Promise<unknown>, code: Code, messagePart?: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(err, "expected the call to fail").toBeDefined();
  expect(Code[err!.code]).toBe(Code[code]);
  if (messagePart) expect(err!.rawMessage).toContain(messagePart);
}

describe("task lifecycle", () => {
  let tp: TestControlPlane;
  let client: TaskplaneClient;
  let gate: { release: () => void; wait: Promise<void> };
  const newGate = () => {
    let release!: () => void;
    const wait = new Promise<void>((r) => (release = r));
    gate = { release, wait };
  };

  beforeAll(async () => {
    tp = await startTestControlPlane();
    client = tp.client;
    newGate();
    tp.worker({
      handlers: {
        ok: async () => "done",
        fail: async () => {
          throw new Error("boom");
        },
        // Runs until the gate opens or the run is cancelled.
        hold: async (_p, ctx) =>
          new Promise((resolve, reject) => {
            void gate.wait.then(() => resolve("released"));
            ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
          }),
      },
      concurrency: 20,
    });
  });
  afterAll(() => tp.stop());

  it("returns the first task for a repeated idempotency key", async () => {
    const key = `key-${randomUUID()}`;
    const first = await client.createTask({ type: "ok", idempotencyKey: key, schedule: schedules.manual() });
    const second = await client.createTask({ type: "ok", idempotencyKey: key, schedule: schedules.manual(), queue: "other" });
    expect(second.existing).toBe(true);
    expect(second.task!.id).toBe(first.task!.id);
    expect(second.task!.spec!.queue).toBe("default");
  });

  it("answers INVALID_ARGUMENT naming the field, and stores nothing", async () => {
    const before = (await client.list({ type: "bad type" })).tasks.length;
    await expectCode(client.createTask({ type: "bad type" }), Code.InvalidArgument, "task.type");
    await expectCode(client.createTask({ type: "ok", schedule: schedules.cron("not a cron") }), Code.InvalidArgument, "schedule.cron.expression");
    await expectCode(client.createTask({ type: "ok", schedule: schedules.cron("* * * * *", "Mars/Olympus") }), Code.InvalidArgument, "time_zone");
    await expectCode(client.createTask({ type: "ok", retryPolicy: { jitter: 2 } }), Code.InvalidArgument, "task.retry_policy.jitter");
    await expectCode(client.get("not-a-uuid"), Code.InvalidArgument, "task_id");
    await expectCode(client.list({ pageToken: "garbage!" }), Code.InvalidArgument, "page_token");
    expect((await client.list({ type: "bad type" })).tasks.length).toBe(before);
  });

  it("answers NOT_FOUND for unknown ids", async () => {
    await expectCode(client.get(randomUUID()), Code.NotFound);
    await expectCode(client.getRun(randomUUID()), Code.NotFound);
    await expectCode(client.trigger(randomUUID()), Code.NotFound);
    await expectCode(client.cancel(randomUUID()), Code.NotFound);
  });

  it("lists tasks by type, queue and label, page by page", async () => {
    const type = `list-${randomUUID().slice(0, 8)}`;
    await client.createTasks(
      Array.from({ length: 5 }, (_, i) => ({ type, queue: "listing", labels: { team: i % 2 ? "a" : "b" }, schedule: schedules.manual() })),
    );
    const page1 = await client.list({ type, pageSize: 2 });
    const page2 = await client.list({ type, pageSize: 2, pageToken: page1.nextPageToken });
    const page3 = await client.list({ type, pageSize: 2, pageToken: page2.nextPageToken });
    expect([page1.tasks.length, page2.tasks.length, page3.tasks.length]).toEqual([2, 2, 1]);
    expect(page3.nextPageToken).toBe("");
    expect(new Set([...page1.tasks, ...page2.tasks, ...page3.tasks].map((t) => t.id)).size).toBe(5);
    expect((await client.list({ type, labels: { team: "a" } })).tasks).toHaveLength(2);
    expect((await client.list({ type, queue: "nope" })).tasks).toHaveLength(0);
  });

  it("cancels a task: pending runs cancelled, the running attempt asked to stop", async () => {
    const { task, firstRun } = await client.createTask({ type: "hold", timeouts: { heartbeat: { seconds: 1n } } });
    await eventually(() => client.getRun(firstRun!.id), (r) => r.state === RunState.RUNNING);
    const { cancelledRuns } = await client.cancel(task!.id, { reason: "test says stop" });
    expect(cancelledRuns).toBe(1);
    const run = await eventually(() => client.getRun(firstRun!.id), (r) => r.state === RunState.CANCELLED);
    expect(run.cancelRequested).toBe(true);
    expect((await client.get(task!.id)).state).toBe(TaskState.CANCELLED);
    await expectCode(client.trigger(task!.id), Code.FailedPrecondition);
  });

  it("cancels one pending run and keeps the task's schedule", async () => {
    const { task, firstRun } = await client.createTask({ type: "ok", schedule: schedules.at(new Date(Date.now() + 60_000)) });
    const { cancelledRuns } = await client.cancel(task!.id, { runId: firstRun!.id });
    expect(cancelledRuns).toBe(1);
    expect((await client.getRun(firstRun!.id)).state).toBe(RunState.CANCELLED);
    await expectCode(client.cancel(task!.id, { runId: firstRun!.id }), Code.FailedPrecondition);
  });

  it("never starts a run cancelled while it waits in the scheduler's due window", async () => {
    const dueAt = Date.now() + 1_500;
    const { task, firstRun } = await client.createTask({ type: "ok", schedule: schedules.at(new Date(dueAt)) });
    // Created inside the window: the scheduler holds the run from now until it falls due.
    await client.cancel(task!.id, { runId: firstRun!.id });
    await new Promise((r) => setTimeout(r, dueAt + 1_000 - Date.now()));
    const run = await client.getRun(firstRun!.id);
    expect(run.state).toBe(RunState.CANCELLED);
    expect(run.attempts).toHaveLength(0);
    expect(run.startTime).toBeUndefined();
  });

  it("pauses a recurring task (fires skipped) and resumes from now without catching up", async () => {
    const { task } = await client.createTask({ type: "ok", schedule: schedules.every(1_000) });
    await eventually(() => client.runs({ taskId: task!.id }), (r) => r.runs.some((x) => x.state === RunState.SUCCEEDED));
    const paused = await client.pause(task!.id);
    expect(paused.state).toBe(TaskState.PAUSED);
    const skipped = await eventually(
      () => client.runs({ taskId: task!.id, state: RunState.SKIPPED }),
      (r) => r.runs.length >= 1,
    );
    expect(skipped.runs[0]!.reason).toBe("task paused");
    const countWhilePaused = (await client.runs({ taskId: task!.id, state: RunState.SUCCEEDED })).runs.length;
    // Paused for more than two fire times, the task changed meanwhile (its updated time moves).
    await new Promise((r) => setTimeout(r, 2_500));
    await client.updateCallback(task!.id, undefined);
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await client.runs({ taskId: task!.id, state: RunState.SUCCEEDED })).runs.length).toBe(countWhilePaused);
    const resumedAt = Date.now();
    const resumed = await client.resume(task!.id);
    expect(resumed.state).toBe(TaskState.ACTIVE);
    const after = await eventually(
      () => client.runs({ taskId: task!.id, state: RunState.SUCCEEDED }),
      (r) => r.runs.length > countWhilePaused,
    );
    const newest = after.runs[0]!;
    expect(Number(newest.scheduledTime!.seconds) * 1000).toBeGreaterThanOrEqual(resumedAt - 1_000);
    // Every fire while paused is on the record, once.
    const { runs: all } = await client.runs({ taskId: task!.id, pageSize: 100 });
    const pausedFires = all.filter((r) => r.state === RunState.SKIPPED && r.reason === "task paused");
    expect(pausedFires.length).toBeGreaterThanOrEqual(2);
    const times = all.map((r) => Number(r.scheduledTime!.seconds)).sort((a, b) => a - b);
    expect(new Set(times).size).toBe(times.length);
    // And no second of the schedule, paused or not, lacks its run.
    expect(times).toEqual(times.map((_, i) => times[0]! + i));
    await expectCode(client.pause((await client.createTask({ type: "ok", schedule: schedules.manual() })).task!.id), Code.FailedPrecondition);
    await client.cancel(task!.id);
  });

  it("deletes a task from listing and scheduling but keeps its runs", async () => {
    const type = `del-${randomUUID().slice(0, 8)}`;
    const { task, firstRun } = await client.createTask({ type: "ok", labels: { kind: type } });
    await eventually(() => client.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
    const pending = await client.createTask({ type: "ok", labels: { kind: type }, schedule: schedules.after(60_000) });
    await client.delete(task!.id);
    await client.delete(pending.task!.id);
    await expectCode(client.get(task!.id), Code.NotFound);
    expect((await client.list({ labels: { kind: type } })).tasks).toHaveLength(0);
    expect((await client.getRun(firstRun!.id)).state).toBe(RunState.SUCCEEDED);
    expect((await client.getRun(pending.firstRun!.id)).state).toBe(RunState.CANCELLED);
  });

  it("retries a failed run as a new attempt of the same run", async () => {
    const { task, firstRun } = await client.createTask({ type: "fail", retryPolicy: { maxAttempts: 1 } });
    const failed = await eventually(() => client.getRun(firstRun!.id), (r) => r.state === RunState.FAILED);
    expect(failed.error!.message).toBe("boom");
    await expectCode(client.retry(task!.id, randomUUID()), Code.NotFound);
    const reopened = await client.retry(task!.id);
    expect(reopened.id).toBe(firstRun!.id);
    const again = await eventually(() => client.getRun(firstRun!.id), (r) => r.state === RunState.FAILED && r.attempt === 2);
    expect(again.attempts.map((a) => a.number)).toEqual([1, 2]);
  });

  it("refuses to retry a run that has not finished", async () => {
    const { task, firstRun } = await client.createTask({ type: "ok", schedule: schedules.after(60_000) });
    await expectCode(client.retry(task!.id, firstRun!.id), Code.FailedPrecondition);
  });

  it("triggers a recurring task now, outside its schedule", async () => {
    const { task } = await client.createTask({ type: "ok", schedule: schedules.cron("0 0 1 1 *") });
    const run = await client.trigger(task!.id, json({ now: true }));
    await eventually(() => client.getRun(run.id), (r) => r.state === RunState.SUCCEEDED);
    const runs = (await client.runs({ taskId: task!.id })).runs;
    expect(runs.filter((r) => r.state === RunState.SCHEDULED)).toHaveLength(1);
  });

  it("gives two triggers in the same instant two runs", async () => {
    const { task } = await client.createTask({ type: "ok", schedule: schedules.manual() });
    const runs = await Promise.all([client.trigger(task!.id), client.trigger(task!.id), client.trigger(task!.id)]);
    expect(new Set(runs.map((r) => r.id)).size).toBe(3);
    gate.release();
    newGate();
  });
});
