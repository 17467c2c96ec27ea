// The audit record of the API call in progress, carried to the store through async context so a
// change and its record commit in one transaction without every store call passing it along.
import { AsyncLocalStorage } from "node:async_hooks";
import type { AuditEvent } from "../domain/model.js";

/** An audit event being built for one call; `written` once the store has recorded it with the change. */
export type PendingAudit = Omit<AuditEvent, "sequence"> & { written: boolean };

const current = new AsyncLocalStorage<PendingAudit>();

export const withAudit = <T>(pending: PendingAudit, fn: () => Promise<T>): Promise<T> => current.run(pending, fn);

/** The call's pending audit event, if it is an audited call still to be recorded. */
export function pendingAudit(): PendingAudit | undefined {
  const pending = current.getStore();
  return pending && !pending.written ? pending : undefined;
}
