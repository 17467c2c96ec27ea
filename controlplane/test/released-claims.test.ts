// A worker that goes away while its claim is being written, or while a claim made ahead waits for
// its due instant (it shut down, or its call timed out), gets nothing, and its runs go straight
// back to the queue instead of waiting out a heartbeat lease.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { RunState, schedules } from "@taskplane/sdk";
import { Dispatcher } from "../src/dispatch/dispatcher.js";
import { InProcessRunQueue } from "../src/dispatch/in-process-queue.js";
import { systemClock } from "../src/domain/clock.js";
import { PgStore } from "../src/store/pg/pg-store.js";
import type { Store } from "../src/store/store.js";
import { Metrics } from "../src/telemetry/metrics.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

describe("claims for a poll that went away", () => {
  let tp: TestControlPlane;
  let store: PgStore;
  beforeAll(async () => {
    tp = await startTestControlPlane();
    store = await PgStore.open({ url: tp.databaseUrl });
  });
  afterAll(async () => {
    await store.close();
    await tp.stop();
  });

  it("are released: the run is QUEUED again with no attempt started, and the next poll gets it", async () => {
    const { firstRun } = await tp.client.createTask({ type: "orphan", queue: "lonely", schedule: schedules.at(new Date()) });
    const queued = await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.QUEUED);
    // A second dispatcher on the same database, whose claim write is slow enough to abort the poll during it.
    const poll = new AbortController();
    const slowClaims = new Proxy(store, {
      get: (target, name) =>
        name === "claimRuns"
          ? async (...args: Parameters<Store["claimRuns"]>) => {
              const claimed = await target.claimRuns(...args);
              poll.abort();
              return claimed;
            }
          : Reflect.get(target, name),
    });
    const { queue, dispatcher } = dispatcherOn(slowClaims);
    queue.push([{ id: queued.id, namespace: "default", queue: "lonely", taskType: "orphan", priority: "NORMAL", dueTime: new Date() }]);
    const request = { workerId: "gone", namespace: "default", queue: "lonely", taskTypes: ["orphan"], maxTasks: 1, waitMs: 1_000, waitsForStartTime: false };

    expect(await dispatcher.poll(request, poll.signal, (a) => a)).toEqual([]);
    const released = await tp.client.getRun(queued.id);
    expect([RunState[released.state], released.attempt, released.attempts.length]).toEqual(["QUEUED", 0, 0]);

    const next = await dispatcher.poll({ ...request, workerId: "present" }, new AbortController().signal, (a) => a);
    expect(next.map((a) => [a.runId, a.attempt])).toEqual([[queued.id, 1]]);
    expect((await tp.client.getRun(queued.id)).attempts.map((a) => a.workerId)).toEqual(["present"]);
    dispatcher.stop();
  });

  it("are released when the poll goes away while a claim made ahead waits for the due instant", async () => {
    const dueTime = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2_000);
    const { firstRun } = await tp.client.createTask({ type: "ahead", queue: "early", schedule: schedules.at(dueTime) });
    const { queue, dispatcher } = dispatcherOn(store);
    queue.push([{ id: firstRun!.id, namespace: "default", queue: "early", taskType: "ahead", priority: "NORMAL", dueTime }]);
    const poll = new AbortController();
    const request = { workerId: "gone-early", namespace: "default", queue: "early", taskTypes: ["ahead"], maxTasks: 1, waitMs: 5_000, waitsForStartTime: false };
    const answer = dispatcher.poll(request, poll.signal, (a) => a);
    // The claim is recorded ahead (RUNNING, starting at the due instant); then the worker goes away.
    await eventually(() => tp.client.getRun(firstRun!.id), (r) => r.state === RunState.RUNNING);
    poll.abort();

    expect(await answer).toEqual([]);
    const released = await tp.client.getRun(firstRun!.id);
    expect([RunState[released.state], released.attempt, released.attempts.length]).toEqual(["QUEUED", 0, 0]);
    const next = await dispatcher.poll({ ...request, workerId: "present-early" }, new AbortController().signal, (a) => a);
    expect(next.map((a) => a.runId)).toEqual([firstRun!.id]);
    dispatcher.stop();
  });
});

function dispatcherOn(store: Store) {
  const queue = new InProcessRunQueue();
  const metrics = new Metrics(async () => ({ runsByState: [], queueDepth: [], activeWorkers: 0 }));
  const dispatcher = new Dispatcher(queue, store, systemClock, metrics, pino({ level: "silent" }), { perWorker: 8, perNamespace: 100 });
  return { queue, dispatcher };
}
