// Two replicas' JetStream run queues on a real nats-server: a burst of due runs goes to the
// replicas whose polls wait for it, not to whichever replica asked for messages first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { JetStreamRunQueue } from "../src/dispatch/jetstream-queue.js";
import type { TakeFilter } from "../src/dispatch/run-queue.js";
import type { Priority } from "../src/domain/model.js";
import type { DispatchRun } from "../src/store/store.js";
import { startTestNats, type TestNats } from "./harness/nats.js";

/** Shorter than the 3 s a replica holds runs no poll of its own took before giving them back. */
const WAIT_MS = 1_500;

const burst = (queue: string, n: number, priority: Priority = "NORMAL"): DispatchRun[] =>
  Array.from({ length: n }, () => ({ id: crypto.randomUUID(), namespace: "default", queue, taskType: "t", priority, dueTime: new Date() }));
const lane = (queue: string): TakeFilter => ({ namespace: "default", queue, taskTypes: [] });

describe("JetStreamRunQueue across replicas", () => {
  let nats: TestNats;
  let replicas: JetStreamRunQueue[];

  beforeAll(async () => {
    nats = await startTestNats();
    const logger = pino({ level: "silent" });
    replicas = await Promise.all([0, 1].map(() => JetStreamRunQueue.connect({ servers: [nats.url], logger })));
  });
  afterAll(async () => {
    for (const r of replicas ?? []) r.close();
    await nats?.stop();
  });

  /** Takes as a poll does, and settles what it took (the claim is written). */
  async function poll(replica: JetStreamRunQueue, queue: string): Promise<DispatchRun[]> {
    const runs = await replica.take(lane(queue), 500, AbortSignal.timeout(WAIT_MS));
    replica.settle(runs.map((r) => r.id));
    return runs;
  }

  /** Publishes runs once these polls wait and their replicas have pulled for them; returns what the polls took. */
  async function publishWhileWaiting<T>(polls: Promise<T>, publish: () => void): Promise<T> {
    await new Promise((r) => setTimeout(r, 500));
    publish();
    return polls;
  }

  it("shares a burst between the replicas whose polls wait", async () => {
    const [a, b] = replicas as [JetStreamRunQueue, JetStreamRunQueue];
    const polls = Promise.all([a, a, b, b].map((replica) => poll(replica, "shared")));
    const taken = await publishWhileWaiting(polls, () => a.push(burst("shared", 2_000))); // four messages of 500
    expect(taken.map((runs) => runs.length)).toEqual([500, 500, 500, 500]);
  });

  it("leaves what a replica's waiting polls do not want for another replica", async () => {
    const [a, b] = replicas as [JetStreamRunQueue, JetStreamRunQueue];
    const first = await publishWhileWaiting(poll(a, "busy"), () => a.push(burst("busy", 1_000)));
    expect(first.length).toBe(500);
    // The other message is still in the stream, not held by the replica whose poll was served.
    expect((await poll(b, "busy")).length).toBe(500);
  });

  it("hands on a message that reached a replica no poll of its own waits at", async () => {
    const [a, b] = replicas as [JetStreamRunQueue, JetStreamRunQueue];
    // A's poll makes A pull every priority; a NORMAL run serves it, and A's other pulls stand.
    const first = await publishWhileWaiting(poll(a, "handed-on"), () => a.push(burst("handed-on", 1)));
    expect(first.length).toBe(1);
    // The LOW run reaches A's standing LOW pull, ahead of B's.
    const second = await publishWhileWaiting(poll(b, "handed-on"), () => a.push(burst("handed-on", 1, "LOW")));
    expect(second.length).toBe(1);
  });

  it("hands on what a poll meeting a backlog of several priorities did not take", async () => {
    const [a, b] = replicas as [JetStreamRunQueue, JetStreamRunQueue];
    a.push([...burst("backlog", 500, "CRITICAL"), ...burst("backlog", 500, "LOW")]);
    await new Promise((r) => setTimeout(r, 300));
    const first = await poll(a, "backlog"); // pulls both priorities at once
    expect(first.map((r) => r.priority)).toEqual(Array(500).fill("CRITICAL"));
    const second = await poll(b, "backlog");
    expect(second.map((r) => r.priority)).toEqual(Array(500).fill("LOW"));
  });
});
