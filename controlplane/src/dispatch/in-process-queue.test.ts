// The in-process run queue: priority order, FIFO, filters, waiting takers, and the starvation guard.
import { beforeEach, describe, expect, it } from "vitest";
import type { Priority } from "../domain/model.js";
import type { DispatchRun } from "../store/store.js";
import { InProcessRunQueue } from "./in-process-queue.js";
import type { TakeFilter } from "./run-queue.js";

const AGING_MS = 5_000;

function run(id: string, priority: Priority = "NORMAL", where: { queue?: string; taskType?: string } = {}): DispatchRun {
  return { id, priority, namespace: "default", queue: where.queue ?? "q", taskType: where.taskType ?? "x", dueTime: new Date(0) };
}
const ids = (runs: DispatchRun[]) => runs.map((r) => r.id);
const all: TakeFilter = { namespace: "default", queue: "q", taskTypes: [] };
const never = () => new AbortController().signal;

/** Lets pending promise callbacks run; no timers involved. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("InProcessRunQueue", () => {
  let t: number;
  let queue: InProcessRunQueue;
  beforeEach(() => {
    t = 1_000_000;
    queue = new InProcessRunQueue({ now: () => t, agingMs: AGING_MS });
  });

  describe("runs fired ahead of their due time", () => {
    const dueIn = (id: string, ms: number, priority: Priority = "NORMAL") => ({ ...run(id, priority), dueTime: new Date(t + ms) });

    it("serves runs already due before runs fired early, whatever their priority", async () => {
      queue.push([dueIn("early-critical", 80, "CRITICAL"), run("due-low", "LOW")]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["due-low"]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["early-critical"]);
    });

    it("gives one poll only runs that start at the same instant", async () => {
      queue.push([dueIn("a", 50), dueIn("b", 50), dueIn("c", 90)]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["a", "b"]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["c"]);
    });
  });

  it("says which runs are still waiting, not yet taken", async () => {
    queue.push([run("a", "HIGH"), run("b")]);
    await queue.take(all, 1, never());
    expect(queue.waitingAmong(["a", "b", "unknown"])).toEqual(["b"]);
  });

  describe("order", () => {
    it("hands out the highest priority first", async () => {
      queue.push([run("low", "LOW"), run("normal", "NORMAL"), run("critical", "CRITICAL"), run("high", "HIGH")]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["critical", "high", "normal", "low"]);
    });

    it("is FIFO within a priority, across pushes and task types", async () => {
      queue.push([run("a"), run("b")]);
      t += 1;
      queue.push([run("c", "NORMAL", { taskType: "y" })]);
      t += 1;
      queue.push([run("d")]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["a", "b", "c", "d"]);
    });

    it("returns at most `max` runs and keeps the rest in order", async () => {
      queue.push([run("a"), run("b"), run("c")]);
      expect(ids(await queue.take(all, 2, never()))).toEqual(["a", "b"]);
      expect(ids(await queue.take(all, 2, never()))).toEqual(["c"]);
    });
  });

  describe("filters", () => {
    it("serves only the requested task types; an empty list means every type", async () => {
      queue.push([run("x1", "NORMAL", { taskType: "x" }), run("y1", "NORMAL", { taskType: "y" }), run("z1", "CRITICAL", { taskType: "z" })]);
      expect(ids(await queue.take({ namespace: "default", queue: "q", taskTypes: ["y", "unknown"] }, 10, never()))).toEqual(["y1"]);
      expect(ids(await queue.take({ namespace: "default", queue: "q", taskTypes: [] }, 10, never()))).toEqual(["z1", "x1"]);
    });

    it("serves only the requested queue", async () => {
      queue.push([run("other", "CRITICAL", { queue: "other" }), run("mine", "LOW")]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["mine"]);
      expect(queue.depths().get("other")).toEqual({ CRITICAL: 1, HIGH: 0, NORMAL: 0, LOW: 0 });
    });
  });

  describe("waiting takers", () => {
    it("wakes a waiting take on push and gives it up to `max`", async () => {
      const taking = queue.take(all, 2, never());
      queue.push([run("a", "LOW"), run("b", "HIGH"), run("c", "NORMAL")]);
      expect(ids(await taking)).toEqual(["b", "c"]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["a"]);
    });

    it("says which lanes takes start waiting in, and what each waiting take asks for", async () => {
      const lanes: string[] = [];
      const watched = new InProcessRunQueue({ onWaiting: (lane) => lanes.push(lane) });
      watched.push([run("ready")]);
      await watched.take(all, 5, never()); // served at once: it never waits
      const controller = new AbortController();
      const waiting = [watched.take(all, 5, never()), watched.take(all, 7, controller.signal), watched.take({ ...all, queue: "other" }, 3, never())];
      expect(lanes).toEqual(["q", "q", "other"]);
      expect(watched.waitingIn("q")).toEqual([5, 7]);
      controller.abort();
      watched.push([run("a")]);
      expect(ids(await waiting[0]!)).toEqual(["a"]);
      expect(watched.waitingIn("q")).toEqual([]);
      expect(watched.waitingIn("other")).toEqual([3]);
    });

    it("serves several waiters in the order they came", async () => {
      const first = queue.take(all, 2, never());
      const second = queue.take(all, 2, never());
      queue.push([run("a"), run("b"), run("c")]);
      expect(ids(await first)).toEqual(["a", "b"]);
      expect(ids(await second)).toEqual(["c"]);
    });

    it("does not wake a waiter for runs it does not take", async () => {
      let result: DispatchRun[] | undefined;
      void queue.take({ namespace: "default", queue: "q", taskTypes: ["y"] }, 5, never()).then((r) => (result = r));
      queue.push([run("x1", "NORMAL", { taskType: "x" })]);
      await settle();
      expect(result).toBeUndefined();
      queue.push([run("y1", "NORMAL", { taskType: "y" })]);
      await settle();
      expect(ids(result!)).toEqual(["y1"]);
    });

    it("resolves [] when the signal aborts, and the aborted taker gets nothing later", async () => {
      const abort = new AbortController();
      const taking = queue.take(all, 5, abort.signal);
      abort.abort();
      expect(await taking).toEqual([]);
      queue.push([run("a")]);
      expect(ids(await queue.take(all, 5, never()))).toEqual(["a"]);
    });

    it("returns at once with an already aborted signal", async () => {
      const abort = new AbortController();
      abort.abort();
      expect(await queue.take(all, 5, abort.signal)).toEqual([]);
    });

    it("close() wakes every waiter with [] and later empty takes return at once", async () => {
      const first = queue.take(all, 5, never());
      const second = queue.take({ namespace: "default", queue: "elsewhere", taskTypes: ["y"] }, 5, never());
      queue.close();
      expect(await first).toEqual([]);
      expect(await second).toEqual([]);
      expect(await queue.take(all, 5, never())).toEqual([]);
    });
  });

  describe("push and putBack", () => {
    it("ignores a run pushed again while it waits", async () => {
      queue.push([run("a"), run("a")]);
      queue.push([run("a", "CRITICAL")]);
      expect(queue.depths().get("q")).toEqual({ CRITICAL: 0, HIGH: 0, NORMAL: 1, LOW: 0 });
      expect(ids(await queue.take(all, 10, never()))).toEqual(["a"]);
    });

    it("accepts a run again once it has been taken", async () => {
      queue.push([run("a")]);
      await queue.take(all, 1, never());
      queue.push([run("a")]);
      expect(ids(await queue.take(all, 1, never()))).toEqual(["a"]);
    });

    it("puts taken runs back in front, in their order", async () => {
      queue.push([run("a"), run("b"), run("c")]);
      const taken = await queue.take(all, 2, never());
      t += 1;
      queue.push([run("d")]);
      queue.putBack(taken);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["a", "b", "c", "d"]);
    });

    it("serves put-back runs before fresh runs of higher priority", async () => {
      queue.push([run("a", "LOW")]);
      const taken = await queue.take(all, 1, never());
      queue.push([run("fresh", "CRITICAL")]);
      queue.putBack(taken);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["a", "fresh"]);
    });

    it("wakes a waiting taker on putBack and ignores a run that is still waiting", async () => {
      queue.push([run("b")]);
      const taken = await queue.take(all, 1, never());
      queue.push([run("c")]);
      const taking = queue.take({ namespace: "default", queue: "q", taskTypes: ["y"] }, 5, never());
      queue.putBack([run("y1", "NORMAL", { taskType: "y" }), run("c")]);
      expect(ids(await taking)).toEqual(["y1"]);
      queue.putBack(taken);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["b", "c"]);
    });
  });

  describe("starvation guard", () => {
    it("serves a LOW run older than agingMs before a fresh CRITICAL one", async () => {
      queue.push([run("old-low", "LOW")]);
      t += AGING_MS + 1;
      queue.push([run("fresh-critical", "CRITICAL")]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["old-low", "fresh-critical"]);
    });

    it("keeps priority order for a run exactly agingMs old", async () => {
      queue.push([run("low", "LOW")]);
      t += AGING_MS;
      queue.push([run("critical", "CRITICAL")]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["critical", "low"]);
    });

    it("serves aged runs oldest first whatever their priority, then the rest by priority", async () => {
      queue.push([run("low-1", "LOW")]);
      t += 10;
      queue.push([run("normal-1", "NORMAL")]);
      t += 10;
      queue.push([run("low-2", "LOW")]);
      t += AGING_MS + 5;
      // low-1 and normal-1 are now older than agingMs; low-2 (aged by AGING_MS + 5) too.
      queue.push([run("critical", "CRITICAL"), run("high", "HIGH")]);
      expect(ids(await queue.take(all, 10, never()))).toEqual(["low-1", "normal-1", "low-2", "critical", "high"]);
    });
  });

  describe("depths", () => {
    it("counts waiting runs per queue and priority, over all task types", async () => {
      queue.push([
        run("a", "CRITICAL"),
        run("b", "NORMAL", { taskType: "y" }),
        run("c", "NORMAL"),
        run("d", "LOW", { taskType: "z" }),
        run("e", "HIGH", { queue: "other" }),
      ]);
      expect(queue.depths()).toEqual(
        new Map([
          ["q", { CRITICAL: 1, HIGH: 0, NORMAL: 2, LOW: 1 }],
          ["other", { CRITICAL: 0, HIGH: 1, NORMAL: 0, LOW: 0 }],
        ]),
      );
      await queue.take(all, 2, never());
      expect(queue.depths().get("q")).toEqual({ CRITICAL: 0, HIGH: 0, NORMAL: 1, LOW: 1 });
    });

    it("is empty for a new queue", () => {
      expect(queue.depths().size).toBe(0);
    });
  });
});
