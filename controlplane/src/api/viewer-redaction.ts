// With TASKPLANE_VIEWER_PAYLOADS=hidden, callers whose only role is viewer see tasks and runs
// without their data: payloads and outputs come back empty (content type kept) and log lines as
// "[hidden]". Placed inside the auth interceptor, so it knows who called.
import type { Interceptor } from "@connectrpc/connect";
import { principalKey } from "./auth-interceptor.js";

export const HIDDEN_LOG_LINE = "[hidden]";

export const viewerRedaction: Interceptor = (next) => async (req) => {
  const res = await next(req);
  const roles = req.contextValues.get(principalKey)?.roles ?? [];
  if (res.stream || roles.length === 0 || roles.some((r) => r !== "viewer")) return res;
  hideData(res.message);
  return res;
};

/** Walks a response message, emptying every Payload and every LogEntry's message. */
function hideData(value: unknown): void {
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) return;
  if (Array.isArray(value)) return value.forEach(hideData);
  const message = value as Record<string, unknown>;
  if (message.$typeName === "taskplane.v1.Payload") message.data = new Uint8Array();
  else if (message.$typeName === "taskplane.v1.LogEntry") message.message = HIDDEN_LOG_LINE;
  else Object.values(message).forEach(hideData);
}
