// SQL for the audit trail (migrations/0008_audit.sql): append, list, and the audited transaction
// that writes a call's record together with its change.
import type pg from "pg";
import { pendingAudit } from "../../audit/audit-context.js";
import type { AuditEvent, Page } from "../../domain/model.js";
import type { AuditFilter } from "../store.js";
import { inTransaction, type Queryable } from "./db.js";
import { decodePageToken, encodePageToken } from "./rows.js";

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

export async function selectAuditEvents(db: Queryable, filter: AuditFilter, pageSize: number, pageToken: string): Promise<Page<AuditEvent>> {
  const where: string[] = ["true"];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace("?", `$${params.length}`));
  };
  if (filter.namespaces) add("namespace = ANY(?::text[])", filter.namespaces);
  if (filter.principal) add("principal = ?", filter.principal);
  if (filter.action) add("action = ?", filter.action);
  if (filter.target) add("target = ?", filter.target);
  if (filter.refusedOnly) where.push("result <> 'ok'");
  if (filter.from) add("time >= ?", filter.from);
  if (filter.to) add("time < ?", filter.to);
  const before = decodePageToken(pageToken);
  if (before) add("seq < ?", before);
  params.push(pageSize + 1);
  const { rows } = await db.query<AuditRow>(`SELECT * FROM audit_events WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT $${params.length}`, params);
  const page = rows.slice(0, pageSize);
  return {
    items: page.map((r) => ({
      sequence: r.seq,
      time: r.time,
      principal: r.principal,
      namespace: r.namespace ?? undefined,
      action: r.action,
      target: r.target ?? undefined,
      result: r.result,
      detail: r.detail ?? undefined,
      address: r.address ?? undefined,
    })),
    nextPageToken: rows.length > pageSize ? encodePageToken(page[page.length - 1]!.seq) : "",
  };
}
