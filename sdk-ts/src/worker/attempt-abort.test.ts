import { describe, expect, it } from "vitest";
import { AttemptAbort } from "./attempt-abort.js";

describe("AttemptAbort", () => {
  it("aborts a signal taken before the abort, with its reason", () => {
    const abort = new AttemptAbort();
    const signal = abort.signal;
    expect(signal.aborted).toBe(false);
    const reason = new Error("cancelled");
    abort.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it("hands out an aborted signal when first asked after the abort", () => {
    const abort = new AttemptAbort();
    abort.abort("late");
    expect(abort.signal.aborted).toBe(true);
    expect(abort.signal.reason).toBe("late");
  });

  it("keeps the first reason and tells each listener once, including one added after the abort", () => {
    const abort = new AttemptAbort();
    const heard: unknown[] = [];
    abort.onAbort((r) => heard.push(["early", r]));
    abort.abort("first");
    abort.abort("second");
    abort.onAbort((r) => heard.push(["after", r]));
    expect(abort.aborted).toBe(true);
    expect(abort.reason).toBe("first");
    expect(heard).toEqual([["early", "first"], ["after", "first"]]);
  });
});
