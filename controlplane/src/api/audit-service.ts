// AuditService handlers: read the audit trail within the caller's namespaces.
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { AuditService } from "@taskplane/proto/taskplane/v1/audit_service_pb.js";
import type { Store } from "../store/store.js";
import { scopeOf } from "./auth-interceptor.js";
import { dateOf } from "./convert.js";

export function auditService(store: Store): ServiceImpl<typeof AuditService> {
  return {
    async listAuditEvents(req, ctx) {
      const page = await store.listAuditEvents(
        {
          namespaces: scopeOf(ctx).filter(req.namespace || undefined),
          principal: req.principal || undefined,
          action: req.action || undefined,
          target: req.target || undefined,
          refusedOnly: req.refusedOnly,
          from: dateOf(req.startTime),
          to: dateOf(req.endTime),
        },
        req.pageSize > 0 ? req.pageSize : 100,
        req.pageToken,
      );
      return {
        events: page.items.map((e) => ({ ...e, sequence: BigInt(e.sequence), time: timestampFromDate(e.time), namespace: e.namespace ?? "", target: e.target ?? "", detail: e.detail ?? "", address: e.address ?? "" })),
        nextPageToken: page.nextPageToken,
      };
    },
  };
}
