import { describe, expect, it } from "vitest";
import { jitterOffsetMs, jitteredDueTime } from "./jitter.js";

describe("jitter", () => {
  const at = new Date("2026-01-01T09:00:00Z");

  it("gives the same fire the same offset, always within [0, jitter)", () => {
    expect(jitterOffsetMs("task-a", at, 60_000)).toBe(jitterOffsetMs("task-a", new Date(at), 60_000));
    for (let i = 0; i < 1_000; i++) {
      const offset = jitterOffsetMs(`task-${i}`, at, 60_000);
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(offset).toBeLessThan(60_000);
    }
  });

  it("spreads tasks that share a schedule evenly over the jitter", () => {
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(jitterOffsetMs(`task-${i}`, at, 60_000) / 6_000)]++;
    // 1,000 expected per bucket; a fair hash stays well within ±15%.
    for (const n of buckets) expect(Math.abs(n - 1_000)).toBeLessThan(150);
  });

  it("differs between fires of one task, and is zero without jitter", () => {
    const offsets = new Set(Array.from({ length: 20 }, (_, i) => jitterOffsetMs("task-a", new Date(at.getTime() + i * 60_000), 60_000)));
    expect(offsets.size).toBeGreaterThan(15);
    expect(jitteredDueTime("task-a", at, 0)).toEqual(at);
  });
});
