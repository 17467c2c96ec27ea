// Domain errors: one class per condition, each with a stable code. api/errors.ts maps them to
// Connect codes in one place; nothing else should know about transports.

export type DomainErrorCode =
  | "not_found"
  | "invalid_argument"
  | "failed_precondition"
  | "already_exists"
  | "unavailable"
  | "unauthenticated"
  | "permission_denied"
  | "resource_exhausted";

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly code = "not_found";
}

export class InvalidArgumentError extends DomainError {
  readonly code = "invalid_argument";
}

/** The request is well-formed but the current state forbids it, e.g. a report for a stale attempt. */
export class FailedPreconditionError extends DomainError {
  readonly code = "failed_precondition";
}

/** The server is shutting down or a dependency is down; the client should retry elsewhere or later. */
export class UnavailableError extends DomainError {
  readonly code = "unavailable";
}

/** No valid credentials came with the request. */
export class UnauthenticatedError extends DomainError {
  readonly code = "unauthenticated";
}

/** The caller is known but may not do this. */
export class PermissionDeniedError extends DomainError {
  readonly code = "permission_denied";
}

/** The caller is over a limit; `retryAfterMs` says when to try again. */
export class ResourceExhaustedError extends DomainError {
  readonly code = "resource_exhausted";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** NOT_FOUND for something that exists outside the caller's namespaces: answered as missing, audited as a refusal. */
export class OutOfScopeError extends NotFoundError {}
