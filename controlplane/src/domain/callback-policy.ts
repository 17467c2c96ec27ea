import type { Callback } from "./model.js";

/** What the domain asks of the callbacks module: whether a callback can ever be delivered. */
export interface CallbackPolicy {
  /** Throws InvalidArgumentError or FailedPreconditionError for a callback that could never be delivered. */
  check(callback: Callback, namespace: string): void;
  /** How long a redelivered event is retried. */
  readonly retryWindowMs: number;
}
