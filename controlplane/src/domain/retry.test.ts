// Retry backoff, the retry decision, and what a failed attempt leads to.
import { describe, expect, it } from "vitest";
import type { FailedAttempt } from "../store/store.js";
import type { Clock } from "./clock.js";
import { decideAfterFailure } from "./failure-decision.js";
import type { RetryPolicy, RunError } from "./model.js";
import { backoffMs, mayRetry } from "./retry.js";

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({
  maxAttempts: 3,
  initialBackoffMs: 1_000,
  backoffCoefficient: 2,
  maxBackoffMs: 100_000,
  jitter: 0,
  nonRetryableErrorTypes: [],
  ...overrides,
});
const error = (overrides: Partial<RunError> = {}): RunError => ({ type: "Boom", message: "it broke", nonRetryable: false, ...overrides });
/** random() = 0.5 means no jitter either way. */
const noJitter = () => 0.5;

describe("backoffMs", () => {
  it("starts at the initial backoff before attempt 2 and grows by the coefficient", () => {
    const p = policy({ initialBackoffMs: 1_000, backoffCoefficient: 3 });
    expect([2, 3, 4, 5].map((n) => backoffMs(p, n, noJitter))).toEqual([1_000, 3_000, 9_000, 27_000]);
  });

  it("handles a fractional coefficient", () => {
    const p = policy({ initialBackoffMs: 1_000, backoffCoefficient: 1.5 });
    expect([2, 3, 4].map((n) => backoffMs(p, n, noJitter))).toEqual([1_000, 1_500, 2_250]);
  });

  it("stays at the initial backoff with a coefficient of 1", () => {
    const p = policy({ backoffCoefficient: 1 });
    expect([2, 3, 10].map((n) => backoffMs(p, n, noJitter))).toEqual([1_000, 1_000, 1_000]);
  });

  it("is capped by maxBackoffMs", () => {
    const p = policy({ initialBackoffMs: 1_000, backoffCoefficient: 2, maxBackoffMs: 5_000 });
    expect([2, 3, 4, 5, 6, 30].map((n) => backoffMs(p, n, noJitter))).toEqual([1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
  });

  it("spreads by at most the jitter fraction either way, using the injected random", () => {
    const p = policy({ initialBackoffMs: 10_000, jitter: 0.2 });
    expect(backoffMs(p, 2, () => 0)).toBe(8_000);
    expect(backoffMs(p, 2, () => 0.25)).toBe(9_000);
    expect(backoffMs(p, 2, () => 0.5)).toBe(10_000);
    expect(backoffMs(p, 2, () => 0.75)).toBe(11_000);
    expect(backoffMs(p, 2, () => 0.999_999)).toBe(12_000);
    for (let i = 0; i < 1_000; i++) {
      const r = i / 1_000;
      const b = backoffMs(p, 3, () => r);
      expect(b).toBeGreaterThanOrEqual(16_000);
      expect(b).toBeLessThanOrEqual(24_000);
    }
  });

  it("ignores random when jitter is 0", () => {
    expect(backoffMs(policy({ jitter: 0 }), 2, () => 0)).toBe(1_000);
    expect(backoffMs(policy({ jitter: 0 }), 2, () => 0.99)).toBe(1_000);
  });

  it("never exceeds maxBackoffMs, even with jitter", () => {
    const p = policy({ initialBackoffMs: 10_000, maxBackoffMs: 10_000, jitter: 0.2 });
    expect(backoffMs(p, 2, () => 0.999_999)).toBe(10_000);
    expect(backoffMs(p, 2, () => 0)).toBe(8_000);
  });

  it("never goes negative, even with full jitter", () => {
    expect(backoffMs(policy({ jitter: 1 }), 2, () => 0)).toBe(0);
  });
});

describe("mayRetry", () => {
  it("allows retries until the attempt reaches maxAttempts", () => {
    const p = policy();
    expect(mayRetry(p, 1, 3, error())).toBe(true);
    expect(mayRetry(p, 2, 3, error())).toBe(true);
    expect(mayRetry(p, 3, 3, error())).toBe(false);
    expect(mayRetry(p, 1, 1, error())).toBe(false);
  });

  it("uses the run's maxAttempts, not the policy's", () => {
    expect(mayRetry(policy({ maxAttempts: 3 }), 3, 5, error())).toBe(true);
  });

  it("refuses an error flagged non-retryable", () => {
    expect(mayRetry(policy(), 1, 3, error({ nonRetryable: true }))).toBe(false);
    expect(mayRetry(policy(), 1, 1_000, error({ nonRetryable: true }))).toBe(false);
  });

  it("refuses an error whose type is listed as non-retryable, and only that type", () => {
    const p = policy({ nonRetryableErrorTypes: ["BadInput", "Forbidden"] });
    expect(mayRetry(p, 1, 3, error({ type: "Forbidden" }))).toBe(false);
    expect(mayRetry(p, 1, 1_000, error({ type: "BadInput" }))).toBe(false);
    expect(mayRetry(p, 1, 3, error({ type: "badinput" }))).toBe(true);
    expect(mayRetry(p, 1, 3, error({ type: "Timeout" }))).toBe(true);
  });
});

describe("decideAfterFailure", () => {
  const now = new Date("2025-01-01T12:00:00.000Z");
  const clock: Clock = { now: () => new Date(now) };
  const failed = (overrides: Partial<FailedAttempt> = {}): FailedAttempt => ({
    runId: "run-1",
    attempt: 1,
    maxAttempts: 3,
    cancelRequested: false,
    retry: policy(),
    error: error(),
    ...overrides,
  });

  it("ends a run whose cancel was requested CANCELLED, even with attempts left", () => {
    expect(decideAfterFailure(clock, noJitter)(failed({ cancelRequested: true }))).toEqual({ state: "CANCELLED" });
  });

  it("retries with dueTime = now + the backoff before the next attempt", () => {
    const decide = decideAfterFailure(clock, noJitter);
    expect(decide(failed({ attempt: 1 }))).toEqual({ state: "RETRYING", dueTime: new Date("2025-01-01T12:00:01.000Z") });
    expect(decide(failed({ attempt: 2 }))).toEqual({ state: "RETRYING", dueTime: new Date("2025-01-01T12:00:02.000Z") });
  });

  it("applies jitter from the injected random", () => {
    const decide = decideAfterFailure(clock, () => 0);
    const p = policy({ initialBackoffMs: 10_000, jitter: 0.1 });
    expect(decide(failed({ retry: p }))).toEqual({ state: "RETRYING", dueTime: new Date("2025-01-01T12:00:09.000Z") });
  });

  it("ends FAILED when attempts are exhausted", () => {
    expect(decideAfterFailure(clock, noJitter)(failed({ attempt: 3, maxAttempts: 3 }))).toEqual({ state: "FAILED" });
  });

  it("ends FAILED at once for a non-retryable error", () => {
    const decide = decideAfterFailure(clock, noJitter);
    expect(decide(failed({ error: error({ nonRetryable: true }) }))).toEqual({ state: "FAILED" });
    expect(decide(failed({ retry: policy({ nonRetryableErrorTypes: ["Boom"] }) }))).toEqual({ state: "FAILED" });
  });

  it("ends TIMED_OUT when the last attempt timed out", () => {
    const decide = decideAfterFailure(clock, noJitter);
    expect(decide(failed({ attempt: 3, error: error({ type: "HeartbeatTimeout" }) }))).toEqual({ state: "TIMED_OUT" });
    expect(decide(failed({ attempt: 3, error: error({ type: "StartToCloseTimeout" }) }))).toEqual({ state: "TIMED_OUT" });
  });

  it("retries a timed-out attempt that has attempts left", () => {
    expect(decideAfterFailure(clock, noJitter)(failed({ attempt: 1, error: error({ type: "HeartbeatTimeout" }) }))).toEqual({
      state: "RETRYING",
      dueTime: new Date("2025-01-01T12:00:01.000Z"),
    });
  });

  it("caps the backoff of a late attempt", () => {
    const decide = decideAfterFailure(clock, noJitter);
    const p = policy({ maxAttempts: 1_000, maxBackoffMs: 60_000 });
    expect(decide(failed({ attempt: 500, maxAttempts: 1_000, retry: p }))).toEqual({
      state: "RETRYING",
      dueTime: new Date("2025-01-01T12:01:00.000Z"),
    });
  });

  it("reads the clock at decision time", () => {
    let t = now.getTime();
    const decide = decideAfterFailure({ now: () => new Date(t) }, noJitter);
    t += 30_000;
    expect(decide(failed())).toEqual({ state: "RETRYING", dueTime: new Date("2025-01-01T12:00:31.000Z") });
  });
});
