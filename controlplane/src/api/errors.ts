// The one place where errors become Connect codes. Domain errors carry their own code;
// anything else is INTERNAL with a generic message, so internals never leak to clients.
import { Code, ConnectError } from "@connectrpc/connect";
import { DomainError, ResourceExhaustedError, type DomainErrorCode } from "../domain/errors.js";

const CODES: Record<DomainErrorCode, Code> = {
  not_found: Code.NotFound,
  invalid_argument: Code.InvalidArgument,
  failed_precondition: Code.FailedPrecondition,
  already_exists: Code.AlreadyExists,
  unavailable: Code.Unavailable,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  resource_exhausted: Code.ResourceExhausted,
};

export function toConnectError(e: unknown): ConnectError {
  if (e instanceof ConnectError) return e;
  if (e instanceof ResourceExhaustedError) {
    // The hint travels as a header (a trailer on gRPC) clients can read without parsing the message.
    const metadata = new Headers({ "retry-after": String(Math.ceil(e.retryAfterMs / 1000)), "retry-after-ms": String(Math.ceil(e.retryAfterMs)) });
    return new ConnectError(e.message, Code.ResourceExhausted, metadata, undefined, e);
  }
  if (e instanceof DomainError) return new ConnectError(e.message, CODES[e.code], undefined, undefined, e);
  if (isDatabaseUnavailable(e)) return new ConnectError("the database is unavailable; retry shortly", Code.Unavailable, undefined, undefined, e);
  return ConnectError.from(new ConnectError("internal error", Code.Internal, undefined, undefined, e));
}

/** Connection failures and Postgres' "cannot connect now"/shutdown classes are worth retrying. */
function isDatabaseUnavailable(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  return code === "ECONNREFUSED" || code === "ECONNRESET" || code === "57P01" || code === "57P03" || code === "08006" || code === "08001";
}
