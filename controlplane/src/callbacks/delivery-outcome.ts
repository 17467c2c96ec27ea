// What follows a delivery attempt: done, stopped, retried later (exponential backoff with jitter,
// or when the receiver's Retry-After says), or given up when the retry window has run out.
import type { DeliveryState } from "../domain/model.js";

export interface PostResult {
  /** 0 when no response came. */
  statusCode: number;
  latencyMs: number;
  /** From Retry-After on a 429 or 503. */
  retryAfterMs?: number;
  error?: string;
  responsePrefix?: string;
}

export interface Backoff {
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export function deliveryOutcome(
  result: PostResult,
  /** Attempts since the event (or its last redelivery). */
  previousAttempts: number,
  now: Date,
  retryUntil: Date,
  backoff: Backoff,
  random: () => number = Math.random,
): { state: DeliveryState; nextAttemptTime?: Date } {
  if (result.statusCode >= 200 && result.statusCode < 300) return { state: "SUCCEEDED" };
  if (result.statusCode === 410) return { state: "STOPPED" };
  // Retry-After can push the next attempt later, never sooner than the backoff: "0" must not make a hot loop.
  const delay = Math.max(result.retryAfterMs ?? 0, backoffMs(previousAttempts, backoff, random));
  const next = new Date(now.getTime() + delay);
  return next > retryUntil ? { state: "FAILED" } : { state: "PENDING", nextAttemptTime: next };
}

/** Doubling from the initial backoff up to the maximum, then "equal jitter": half fixed, half random. */
function backoffMs(previousAttempts: number, { initialBackoffMs, maxBackoffMs }: Backoff, random: () => number): number {
  const base = Math.min(maxBackoffMs, initialBackoffMs * 2 ** previousAttempts);
  return Math.round(base / 2 + (random() * base) / 2);
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
