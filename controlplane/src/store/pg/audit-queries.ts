// SQL for the audit trail (migrations/0008_audit.sql): append, list, and the audited transaction
// that writes a call's record together with its change.
import type pg from "pg";
import { pendingAudit } from "../../audit/audit-context.js";
import type { AuditEvent, Page } from "../../domain/model.js";
import type { AuditFilter } from "../store.js";
import { inTransaction, type Queryable } from "./db.js";
import { Filters, selectPage } from "./paged-select.js";

export async function insertAudit(db: Queryable, e: Omit<AuditEvent, "sequence">): Promise<void> {
  await db.query(
    "INSERT INTO audit_events (time, principal, namespace, action, target, result, detail, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    [e.time, e.principal, e.namespace ?? null, e.action, e.target ?? null, e.result, e.detail ?? null, e.address ?? null],
  );
}

/**
 * Runs a change in a transaction, recording the API call's pending audit event in it (what it
 * acted on filled in from the result), so there is no change without its record. `describe`
 * answers undefined when the result is no change (a refused transition), which is not recorded here.
 */
export async function inAuditedTransaction<T>(
  pool: pg.Pool,
  change: (db: pg.PoolClient) => Promise<T>,
  describe: (result: T) => { namespace?: string; target?: string } | undefined,
): Promise<T> {
  const pending = pendingAudit();
  if (!pending) return inTransaction(pool, change);
  return inTransaction(pool, async (db) => {
    const result = await change(db);
    const described = describe(result);
    if (!described) return result;
    const { namespace, target } = described;
    const { written: _written, ...event } = pending;
    await insertAudit(db, { ...event, namespace: namespace ?? event.namespace, target: target ?? event.target });
    pending.written = true;
    return result;
  });
}

interface AuditRow {
  seq: string;
  time: Date;
  principal: string;
  namespace: string | null;
  action: string;
  target: string | null;
  result: string;
  detail: string | null;
  address: string | null;
}

export function selectAuditEvents(db: Queryable, filter: AuditFilter, pageSize: number, pageToken: string): Promise<Page<AuditEvent>> {
  const filters = new Filters();
  if (filter.namespaces) filters.add("namespace = ANY(?::text[])", filter.namespaces);
  if (filter.principal) filters.add("principal = ?", filter.principal);
  if (filter.action) filters.add("action = ?", filter.action);
  if (filter.target) filters.add("target = ?", filter.target);
  if (filter.refusedOnly) filters.raw("result <> 'ok'");
  if (filter.from) filters.add("time >= ?", filter.from);
  if (filter.to) filters.add("time < ?", filter.to);
  return selectPage<AuditRow, AuditEvent>(db, { select: "SELECT * FROM audit_events", filters, newestFirst: true }, pageSize, pageToken, (r) => ({
    sequence: r.seq,
    time: r.time,
    principal: r.principal,
    namespace: r.namespace ?? undefined,
    action: r.action,
    target: r.target ?? undefined,
    result: r.result,
    detail: r.detail ?? undefined,
    address: r.address ?? undefined,
  }));
}
