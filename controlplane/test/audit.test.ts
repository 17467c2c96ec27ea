// The audit trail over real gRPC and Postgres: who did what to which target, from where, with
// what result; security refusals on the record; rows the database will not change or remove.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, json, TaskplaneClient, type AuditEvent } from "@taskplane/sdk";
import { loadLocalKeys, mintToken, type LocalKeys } from "../src/auth/local-keys.js";
import type { Role } from "../src/auth/principal.js";
import { startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { withDb } from "./harness/db.js";
import { codeOf } from "./harness/error-code.js";

const noRetry = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };
const manual = { kind: { case: "manual" as const, value: {} } };

describe("audit trail", () => {
  let dir: string;
  let keys: LocalKeys;
  let tp: TestControlPlane;
  const client = async (subject: string, roles: Role[], namespaces: string[] = ["*"]) =>
    new TaskplaneClient({ address: tp.address, token: await mintToken(keys, { subject, roles, namespaces, queues: ["*"], ttlSeconds: 600 }), retry: noRetry });
  let auditor: TaskplaneClient;
  const eventsBy = async (principal: string): Promise<AuditEvent[]> => (await auditor.auditEvents({ principal })).events;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-audit-"));
    keys = await loadLocalKeys(dir);
    tp = await startTestControlPlane({}, { config: { auth: keys.settings } });
    auditor = await client("auditor", ["admin"]);
  });
  afterAll(async () => {
    await tp.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("records each change once, with who, where from, which namespace, what and on what", async () => {
    const alice = await client("alice", ["admin"], ["blue"]);
    const { task } = await alice.createTask({ namespace: "blue", type: "paint", schedule: manual });
    const run = await alice.trigger(task!.id, json({}));
    await alice.cancel(task!.id, { runId: run.id });
    expect(await codeOf(alice.createTask({ namespace: "blue", type: "" }))).toBe(Code.InvalidArgument);
    const events = (await eventsBy("alice")).reverse();
    expect(events.map((e) => [e.action, e.result])).toEqual([
      ["CreateTask", "ok"],
      ["TriggerTask", "ok"],
      ["CancelTask", "ok"],
      ["CreateTask", "InvalidArgument"],
    ]);
    expect(events[0]).toMatchObject({ principal: "alice", namespace: "blue", target: task!.id, address: expect.stringMatching(/127\.0\.0\.1/) });
    expect(events[1]).toMatchObject({ namespace: "blue", target: run.id });
    expect(events[2]).toMatchObject({ target: run.id });
    expect(events[3]!.detail).toContain("task.type");
    // Reads change nothing and are not recorded.
    await alice.get(task!.id);
    expect(await eventsBy("alice")).toHaveLength(4);
  });

  it("records security refusals: no token, a missing role, another namespace's id", async () => {
    const { task } = await auditor.createTask({ namespace: "green", type: "paint", schedule: manual });
    const viewer = await client("vera", ["viewer"]);
    const outsider = await client("olga", ["admin"], ["red"]);
    expect(await codeOf(new TaskplaneClient({ address: tp.address, token: "", retry: noRetry }).list({}))).toBe(Code.Unauthenticated);
    expect(await codeOf(viewer.trigger(task!.id))).toBe(Code.PermissionDenied);
    expect(await codeOf(outsider.get(task!.id))).toBe(Code.NotFound);
    expect(await codeOf(outsider.get("00000000-0000-4000-8000-000000000000"))).toBe(Code.NotFound);

    const refused = (await auditor.auditEvents({ refusedOnly: true })).events;
    expect(refused.find((e) => e.principal === "anonymous" && e.action === "ListTasks")?.result).toBe("Unauthenticated");
    expect(refused.find((e) => e.principal === "vera")).toMatchObject({ action: "TriggerTask", result: "PermissionDenied", target: task!.id });
    // Looking up another tenant's task is on the record; a plain miss is not.
    expect(refused.filter((e) => e.principal === "olga")).toEqual([expect.objectContaining({ action: "GetTask", result: "NotFound", target: task!.id })]);
  });

  it("is readable by admins only, filtered to their namespaces", async () => {
    const operator = await client("opal", ["operator"]);
    expect(await codeOf(operator.auditEvents({}))).toBe(Code.PermissionDenied);
    const blueAdmin = await client("bea", ["admin"], ["blue"]);
    const seen = (await blueAdmin.auditEvents({})).events;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((e) => e.namespace === "blue")).toBe(true);
  });

  it("cannot be changed or removed, even by the database owner", async () => {
    await withDb(tp.databaseUrl, async (db) => {
      for (const sql of ["UPDATE audit_events SET result = 'ok'", "DELETE FROM audit_events", "TRUNCATE audit_events"]) {
        await expect(db.query(sql), sql).rejects.toThrow(/append-only/);
      }
      expect(Number((await db.query("SELECT count(*) FROM audit_events")).rows[0].count)).toBeGreaterThan(5);
    });
  });
});
