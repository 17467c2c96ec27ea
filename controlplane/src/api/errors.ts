// The one place where errors become Connect codes. Domain errors carry their own code;
// anything else is INTERNAL with a generic message, so internals never leak to clients.
import { Code, ConnectError } from "@connectrpc/connect";
import { DomainError, ResourceExhaustedError, type DomainErrorCode } from "../domain/errors.js";
import { DecryptionError } from "../security/envelope.js";

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
  // Stored data that will not open is lost to this server until its key is configured again: say so.
  if (e instanceof DecryptionError) return new ConnectError(`stored data could not be decrypted: ${e.message}`, Code.DataLoss, undefined, undefined, e);
  if (isDatabaseUnavailable(e)) return new ConnectError("the database could not apply this now; retry shortly", Code.Unavailable, undefined, undefined, e);
  return ConnectError.from(new ConnectError("internal error", Code.Internal, undefined, undefined, e));
}

/**
 * Worth retrying: connection failures, Postgres' "cannot connect now" and shutdown classes, and a
 * transaction rolled back as a deadlock or serialization victim (every change is a conditional
 * update, so doing it again is safe; the SDK's reporter retries UNAVAILABLE).
 */
const RETRYABLE_DATABASE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "57P01", "57P03", "08006", "08001", "40P01", "40001"]);

function isDatabaseUnavailable(e: unknown): boolean {
  return RETRYABLE_DATABASE_CODES.has((e as { code?: string } | undefined)?.code ?? "");
}
