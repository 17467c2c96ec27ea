import { describe, expect, it } from "vitest";
import { deliveryOutcome, parseRetryAfter } from "./delivery-outcome.js";

const now = new Date("2026-12-01T10:00:00Z");
const day = new Date(now.getTime() + 86_400_000);
const backoff = { initialBackoffMs: 5_000, maxBackoffMs: 3_600_000 };
const result = (statusCode: number, extra = {}) => ({ statusCode, latencyMs: 3, ...extra });

describe("deliveryOutcome", () => {
  it("ends on 2xx and stops on 410 Gone", () => {
    expect(deliveryOutcome(result(204), 0, now, day, backoff).state).toBe("SUCCEEDED");
    expect(deliveryOutcome(result(410), 3, now, day, backoff).state).toBe("STOPPED");
  });

  it("retries other answers, redirects and no answer with doubling backoff and jitter", () => {
    for (const code of [0, 301, 302, 400, 404, 500, 502]) {
      const first = deliveryOutcome(result(code), 0, now, day, backoff, () => 0);
      expect(first).toEqual({ state: "PENDING", nextAttemptTime: new Date(now.getTime() + 2_500) });
    }
    const third = deliveryOutcome(result(500), 2, now, day, backoff, () => 1);
    expect(third.nextAttemptTime!.getTime() - now.getTime()).toBe(20_000);
    const late = deliveryOutcome(result(500), 30, now, day, backoff, () => 1);
    expect(late.nextAttemptTime!.getTime() - now.getTime()).toBe(3_600_000);
  });

  it("honours Retry-After, but never retries sooner than the backoff", () => {
    const next = deliveryOutcome(result(429, { retryAfterMs: 120_000 }), 0, now, day, backoff);
    expect(next.nextAttemptTime).toEqual(new Date(now.getTime() + 120_000));
    const eager = deliveryOutcome(result(503, { retryAfterMs: 0 }), 3, now, day, backoff, () => 0);
    expect(eager.nextAttemptTime).toEqual(new Date(now.getTime() + 20_000));
  });

  it("gives up when the next attempt would fall after the retry window", () => {
    expect(deliveryOutcome(result(500), 0, now, new Date(now.getTime() + 1_000), backoff, () => 0).state).toBe("FAILED");
    expect(deliveryOutcome(result(503, { retryAfterMs: 90_000_000 }), 0, now, day, backoff).state).toBe("FAILED");
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates, and ignores the rest", () => {
    expect(parseRetryAfter("30", now)).toBe(30_000);
    expect(parseRetryAfter("Tue, 01 Dec 2026 10:01:00 GMT", now)).toBe(60_000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
