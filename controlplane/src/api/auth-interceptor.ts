// Authentication, authorization and rate limits for every call but reflection, in one interceptor: the bearer
// token must verify, the method's permission must be granted by one of its roles, a worker may
// poll only its queues, and each principal has a token bucket per class of methods.
import { createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { pendingAudit } from "../audit/audit-context.js";
import { grants, permissionFor, type Permission } from "../auth/permissions.js";
import { mayUse, type Principal } from "../auth/principal.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import { PermissionDeniedError, ResourceExhaustedError, UnauthenticatedError } from "../domain/errors.js";
import { Scope } from "../domain/scope.js";
import type { LimitSettings, MethodClass } from "../limits/limit-settings.js";
import { TokenBuckets } from "../limits/token-buckets.js";

/** The caller, for handlers that check namespaces; undefined when authentication is off. */
export const principalKey = createContextKey<Principal | undefined>(undefined);

/** The namespaces the caller may use: its token's, or all when authentication is off. */
export function scopeOf(ctx: HandlerContext): Scope {
  const principal = ctx.values.get(principalKey);
  return principal ? Scope.of(principal.namespaces) : Scope.all;
}

/** Worker calls that name a namespace (and, for polls, a queue) the token must allow. */
const WORKER_CALLS_IN_A_NAMESPACE = new Set(["taskplane.v1.WorkerService/PollTasks", "taskplane.v1.WorkerService/ShutdownWorker"]);

const CLASS_OF: Record<Permission, MethodClass> = {
  "tasks.read": "read",
  discover: "read",
  "tasks.create": "write",
  "tasks.operate": "write",
  "notifications.manage": "write",
  "audit.read": "read",
  work: "work",
};

export function authInterceptor(verify: TokenVerifier, limits: LimitSettings): Interceptor {
  const buckets = Object.fromEntries(Object.entries(limits.rates).map(([c, rate]) => [c, new TokenBuckets(rate)])) as Record<MethodClass, TokenBuckets>;
  return (next) => async (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const permission = permissionFor(procedure);
    // Reflection shows only the public contract (it is in the repository); tools list methods before they have a token.
    if (permission === "discover") return next(req);
    const token = /^Bearer\s+(\S+)$/i.exec(req.header.get("authorization") ?? "")?.[1];
    if (!token) throw new UnauthenticatedError("no bearer token: send `authorization: Bearer <token>`");
    const principal = await verify(token);
    // The audit event of this call, recorded with its change, names who made it.
    const audit = pendingAudit();
    if (audit) audit.principal = principal.subject;
    if (!permission || !grants(principal.roles, permission)) {
      throw new PermissionDeniedError(`${principal.subject} may not call ${req.method.name}: roles [${principal.roles.join(", ")}] lack ${permission ?? "any grant for it"}`);
    }
    if (WORKER_CALLS_IN_A_NAMESPACE.has(procedure) && !req.stream) {
      const { queue, namespace } = req.message as { queue?: string; namespace?: string };
      if (queue !== undefined && !mayUse(principal.queues, queue || "default")) throw new PermissionDeniedError(`${principal.subject} may not poll queue ${queue || "default"}`);
      if (!mayUse(principal.namespaces, namespace || "default")) throw new PermissionDeniedError(`${principal.subject} may not take runs of namespace ${namespace || "default"}`);
    }
    const wait = buckets[CLASS_OF[permission]].take(`${principal.subject}/${CLASS_OF[permission]}`, Date.now());
    if (wait > 0) throw new ResourceExhaustedError(`${principal.subject} is over its ${CLASS_OF[permission]} rate; retry in ${wait} ms`, wait);
    req.contextValues.set(principalKey, principal);
    return next(req);
  };
}
