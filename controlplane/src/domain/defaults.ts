import type { CallbackEvent, CatchUpPolicy, MissingTimePolicy, RepeatedTimePolicy, RetryPolicy, Timeouts } from "./model.js";

// Temporal-like retry defaults, except that attempts are capped: an unbounded retry of a
// recurring task would pile up behind its own schedule.
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialBackoffMs: 1_000,
  backoffCoefficient: 2,
  maxBackoffMs: 100_000,
  jitter: 0.2,
  nonRetryableErrorTypes: [],
};

export const DEFAULT_TIMEOUTS: Timeouts = { startToCloseMs: 3_600_000, heartbeatMs: 60_000 };

export const DEFAULT_CATCH_UP: CatchUpPolicy = { mode: "ONE", windowMs: 3_600_000, maxRuns: 100 };

export const DEFAULT_QUEUE = "default";

// Vixie cron and Quartz run a job whose local time was skipped by DST right after the jump, and
// one whose local time repeats only once: users expect the same.
export const DEFAULT_DST_POLICY: { onMissingTime: MissingTimePolicy; onRepeatedTime: RepeatedTimePolicy } = {
  onMissingTime: "RUN_AT_NEXT_VALID_TIME",
  onRepeatedTime: "RUN_ONCE_FIRST",
};

/** A callback with no events named hears how each run ended: succeeded or failed for good. */
export const DEFAULT_CALLBACK_EVENTS: CallbackEvent[] = ["RUN_SUCCEEDED", "RUN_FAILED"];
