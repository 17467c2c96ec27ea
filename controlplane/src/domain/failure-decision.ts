import type { Clock } from "./clock.js";
import { backoffMs, mayRetry } from "./retry.js";
import type { DecideAfterFailure } from "../store/store.js";

const TIMEOUT_ERROR_TYPES = new Set(["HeartbeatTimeout", "StartToCloseTimeout"]);

/**
 * After a failed or timed-out attempt: a cancelled run ends CANCELLED; one with attempts left
 * retries after backoff; otherwise it ends FAILED, or TIMED_OUT when the last attempt timed out.
 */
export function decideAfterFailure(clock: Clock, random: () => number = Math.random): DecideAfterFailure {
  return (attempt) => {
    if (attempt.cancelRequested) return { state: "CANCELLED" };
    if (mayRetry(attempt.retry, attempt.attempt, attempt.maxAttempts, attempt.error)) {
      const delay = backoffMs(attempt.retry, attempt.attempt + 1, random);
      return { state: "RETRYING", dueTime: new Date(clock.now().getTime() + delay) };
    }
    return { state: TIMEOUT_ERROR_TYPES.has(attempt.error.type) ? "TIMED_OUT" : "FAILED" };
  };
}
