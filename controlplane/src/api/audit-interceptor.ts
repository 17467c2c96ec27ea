// Every call that may change something, and every security refusal, leaves an audit event. A
// change records its event in its own transaction (the store does it, see audit-context); what
// is left here is the record of calls that changed nothing: refused, failed, or out of scope.
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { withAudit, type PendingAudit } from "../audit/audit-context.js";
import { permissionFor } from "../auth/permissions.js";
import { OutOfScopeError } from "../domain/errors.js";
import type { Store } from "../store/store.js";

/** The caller's network address, set from the connection by the server. */
export const peerKey = createContextKey<string | undefined>(undefined);

const CHANGES = new Set(["tasks.create", "tasks.operate", "notifications.manage"]);
const REFUSALS = new Set([Code.Unauthenticated, Code.PermissionDenied]);

export function auditInterceptor(store: Store, logger: Logger): Interceptor {
  return (next) => async (req) => {
    const permission = permissionFor(`${req.service.typeName}/${req.method.name}`);
    const changes = permission !== undefined && CHANGES.has(permission);
    const message = (req.stream ? {} : req.message) as Record<string, unknown>;
    const pending: PendingAudit = {
      time: new Date(),
      // The auth interceptor names the principal once its token verifies.
      principal: "anonymous",
      namespace: namespaceOf(message),
      action: req.method.name,
      target: targetOf(message),
      result: "ok",
      address: req.contextValues.get(peerKey),
      written: false,
    };
    try {
      return await withAudit(pending, () => next(req));
    } catch (e) {
      const err = ConnectError.from(e);
      const refused = REFUSALS.has(err.code) || err.cause instanceof OutOfScopeError;
      if (changes || refused) {
        pending.result = Code[err.code]!;
        pending.detail = err.rawMessage;
      }
      throw e;
    } finally {
      // A call that changed something was recorded with its change; record the rest that count.
      if (!pending.written && (pending.result !== "ok" || changes)) {
        const { written: _written, ...event } = pending;
        await store.appendAudit(event).catch((err: unknown) => logger.error({ err, action: event.action }, "writing an audit event failed"));
      }
    }
  };
}

function namespaceOf(message: Record<string, unknown>): string | undefined {
  const spec = (message.task ?? message.rule) as { namespace?: string } | undefined;
  return (message.namespace as string | undefined) || spec?.namespace || undefined;
}

function targetOf(message: Record<string, unknown>): string | undefined {
  for (const key of ["runId", "taskId", "ruleId", "deliveryId"]) if (message[key]) return message[key] as string;
  return undefined;
}
