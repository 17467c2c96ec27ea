// Group commit: plans that come while one is written go together next, each answered with its own runs.
import { describe, expect, it } from "vitest";
import type { DispatchRun, FirePlan } from "../store/store.js";
import { emptyPlan } from "./fire-plan.js";
import { FirePlanWriter } from "./fire-plan-writer.js";

const queuing = (...ids: string[]): FirePlan => ({ ...emptyPlan(), queue: ids });
const dispatched = (id: string) => ({ id }) as DispatchRun;

/** A write that waits until released, recording what it was given. */
function gatedWrite() {
  const calls: { plan: FirePlan; now: Date; release: (error?: Error) => void }[] = [];
  const write = (plan: FirePlan, now: Date) =>
    new Promise<DispatchRun[]>((resolve, reject) => {
      calls.push({ plan, now, release: (error) => (error ? reject(error) : resolve(plan.queue.map(dispatched))) });
    });
  return { calls, write };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("FirePlanWriter", () => {
  it("writes the plans that came during a write as one, and answers each with its own runs", async () => {
    const { calls, write } = gatedWrite();
    const writer = new FirePlanWriter(write, 100);
    const first = writer.apply(queuing("a"), new Date(1_000));
    const second = writer.apply(queuing("b", "c"), new Date(3_000));
    const third = writer.apply(queuing("d"), new Date(2_000));
    await settle();
    expect(calls.map((c) => c.plan.queue)).toEqual([["a"]]);
    calls[0]!.release();
    expect((await first).map((r) => r.id)).toEqual(["a"]);
    await settle();
    expect(calls.map((c) => c.plan.queue)).toEqual([["a"], ["b", "c", "d"]]);
    // The group is written at its latest decision's time.
    expect(calls[1]!.now.getTime()).toBe(3_000);
    calls[1]!.release();
    expect((await second).map((r) => r.id)).toEqual(["b", "c"]);
    expect((await third).map((r) => r.id)).toEqual(["d"]);
  });

  it("bounds a group by its runs, and writes a larger plan alone", async () => {
    const { calls, write } = gatedWrite();
    const writer = new FirePlanWriter(write, 3);
    const plans = [queuing("a"), queuing("b", "c"), queuing("d", "e"), queuing("f", "g", "h", "i"), queuing("j")];
    const results = plans.map((p) => writer.apply(p, new Date()));
    for (let i = 0; i < 5 && calls.length > i; i++) {
      await settle();
      calls[i]!.release();
      await settle();
    }
    await Promise.all(results);
    expect(calls.map((c) => c.plan.queue)).toEqual([["a"], ["b", "c"], ["d", "e"], ["f", "g", "h", "i"], ["j"]]);
  });

  it("fails every plan of a group whose write failed, and goes on with the next", async () => {
    const { calls, write } = gatedWrite();
    const writer = new FirePlanWriter(write, 100);
    const first = writer.apply(queuing("a"), new Date());
    const second = writer.apply(queuing("b"), new Date());
    const third = writer.apply(queuing("c"), new Date());
    await settle();
    calls[0]!.release();
    await first;
    await settle();
    calls[1]!.release(new Error("deadlock detected"));
    await expect(second).rejects.toThrow("deadlock detected");
    await expect(third).rejects.toThrow("deadlock detected");
    const fourth = writer.apply(queuing("d"), new Date());
    await settle();
    calls[2]!.release();
    expect((await fourth).map((r) => r.id)).toEqual(["d"]);
  });
});
