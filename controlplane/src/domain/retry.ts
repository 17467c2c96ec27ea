import type { RetryPolicy, RunError } from "./model.js";

/** The backoff before attempt `nextAttempt` (2 or later), with jitter drawn from `random` in [0, 1). */
export function backoffMs(policy: RetryPolicy, nextAttempt: number, random: () => number = Math.random): number {
  const base = policy.initialBackoffMs * policy.backoffCoefficient ** Math.max(0, nextAttempt - 2);
  const capped = Math.min(base, policy.maxBackoffMs);
  const spread = capped * policy.jitter * (2 * random() - 1);
  return Math.min(policy.maxBackoffMs, Math.max(0, Math.round(capped + spread)));
}

/** Whether a failed attempt may be followed by another. */
export function mayRetry(policy: RetryPolicy, attempt: number, maxAttempts: number, error: RunError): boolean {
  if (error.nonRetryable || policy.nonRetryableErrorTypes.includes(error.type)) return false;
  return attempt < maxAttempts;
}
