// With TASKPLANE_VIEWER_PAYLOADS=hidden, callers whose only role is viewer see tasks and runs
// without what they carry: payloads, outputs and heartbeat details come back empty (content types
// kept), and log lines and workers' error messages as "[hidden]" (error types stay). Placed inside
// the auth interceptor, so it knows who called.
import type { Interceptor } from "@connectrpc/connect";
import { principalKey } from "./auth-interceptor.js";

/** What a viewer sees for a log line or an error message. */
export const HIDDEN_LOG_LINE = "[hidden]";

export const viewerRedaction: Interceptor = (next) => async (req) => {
  const res = await next(req);
  const roles = req.contextValues.get(principalKey)?.roles ?? [];
  if (res.stream || roles.length === 0 || roles.some((r) => r !== "viewer")) return res;
  hideData(res.message);
  return res;
};

/** Walks a response message, emptying what a viewer may not see. */
function hideData(value: unknown): void {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return;
  if (Array.isArray(value)) return value.forEach(hideData);
  const message = value as Record<string, unknown>;
  if (message.$typeName === "taskplane.v1.Payload") return void (message.data = new Uint8Array());
  if (message.$typeName === "taskplane.v1.LogEntry" || message.$typeName === "taskplane.v1.RunError") return void (message.message = HIDDEN_LOG_LINE);
  if (message.$typeName === "taskplane.v1.Run") message.heartbeatDetails = new Uint8Array();
  Object.values(message).forEach(hideData);
}
