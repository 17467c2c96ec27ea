// SDK errors: one class per condition, each with a cause, and predicates for code that catches them.
import { Code, ConnectError } from "@connectrpc/connect";

/** Thrown by a handler to end the run now, whatever attempts are left. */
export class NonRetryableError extends Error {
  constructor(
    message: string,
    /** Reported as the error type; matched against the task's non-retryable error types. */
    readonly type: string = "NonRetryableError",
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "NonRetryableError";
  }
}

/** The signal's reason when the run was cancelled by a user. */
export class CancelledError extends Error {
  constructor(message = "the run was cancelled") {
    super(message);
    this.name = "CancelledError";
  }
}

/** The signal's reason when this attempt is no longer current (it timed out, or the server moved on). */
export class AttemptLostError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AttemptLostError";
  }
}

/** The signal's reason when the attempt passed its start-to-close deadline. */
export class DeadlineExceededError extends Error {
  constructor(message = "the attempt passed its start-to-close deadline") {
    super(message);
    this.name = "DeadlineExceededError";
  }
}

/** The signal's reason when the worker is shutting down and its grace period ran out. */
export class WorkerShutdownError extends Error {
  constructor(message = "the worker shut down before the handler finished") {
    super(message);
    this.name = "WorkerShutdownError";
  }
}

export const isNotFound = (e: unknown): boolean => ConnectError.from(e).code === Code.NotFound;
export const isInvalidArgument = (e: unknown): boolean => ConnectError.from(e).code === Code.InvalidArgument;
export const isFailedPrecondition = (e: unknown): boolean => ConnectError.from(e).code === Code.FailedPrecondition;

export { Code, ConnectError };
