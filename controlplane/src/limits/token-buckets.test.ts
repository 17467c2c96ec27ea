import { describe, expect, it } from "vitest";
import { TokenBuckets } from "./token-buckets.js";

describe("TokenBuckets", () => {
  it("grants a burst, then refuses with the time until the next token", () => {
    const buckets = new TokenBuckets({ ratePerSecond: 10, burst: 3 });
    expect([0, 0, 0].map(() => buckets.take("a", 1_000))).toEqual([0, 0, 0]);
    expect(buckets.take("a", 1_000)).toBe(100);
    expect(buckets.take("a", 1_050)).toBe(50);
    expect(buckets.take("a", 1_100)).toBe(0);
  });

  it("keeps each key's bucket apart and refills up to the burst only", () => {
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 2 });
    buckets.take("a", 0);
    buckets.take("a", 0);
    expect(buckets.take("a", 0)).toBeGreaterThan(0);
    expect(buckets.take("b", 0)).toBe(0);
    expect([buckets.take("a", 100_000), buckets.take("a", 100_000), buckets.take("a", 100_000) > 0]).toEqual([0, 0, true]);
  });
});
