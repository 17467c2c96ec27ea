// Authentication, roles and rate limits over real gRPC and Connect: every refusal with its code,
// and the work a valid token is allowed to do.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ServerReflection } from "@taskplane/proto/grpc/reflection/v1/reflection_pb.js";
import { Code, ConnectError, createTransport, RunState, TaskplaneClient, Worker } from "@taskplane/sdk";
import { WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { file_taskplane_v1_notification_service } from "@taskplane/proto/taskplane/v1/notification_service_pb.js";
import { file_taskplane_v1_task_service } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import { file_taskplane_v1_worker_service } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { loadLocalKeys, LOCAL_AUDIENCE, LOCAL_ISSUER, mintToken, type LocalKeys, type TokenClaims } from "../src/auth/local-keys.js";
import { coveredProcedures } from "../src/auth/permissions.js";
import { DEFAULT_LIMIT_SETTINGS } from "../src/limits/limit-settings.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { codeOf } from "./harness/error-code.js";

const noRetry = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };

describe("auth", () => {
  let dir: string;
  let keys: LocalKeys;
  let tp: TestControlPlane;
  const token = (claims: Partial<TokenClaims> = {}) =>
    mintToken(keys, { subject: "alice", roles: ["admin"], namespaces: ["*"], queues: ["*"], ttlSeconds: 600, ...claims });
  const clientWith = (t: string | undefined) => new TaskplaneClient({ address: tp.address, token: t ?? "", retry: noRetry });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-auth-"));
    keys = await loadLocalKeys(dir);
    const limits = { ...DEFAULT_LIMIT_SETTINGS, rates: { ...DEFAULT_LIMIT_SETTINGS.rates, read: { ratePerSecond: 2, burst: 3 } }, pollsPerWorker: 2 };
    tp = await startTestControlPlane({}, { config: { auth: keys.settings, limits } });
  });
  afterAll(async () => {
    await tp.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("lets a valid token work end to end: create, run on a worker, read", async () => {
    const admin = clientWith(await token({ subject: "rate-free-admin" }));
    const worker = Worker.create({ address: tp.address, token: await token({ subject: "w", roles: ["worker"], queues: ["default"] }), handlers: { hello: async () => "hi" }, handleSignals: false, onWarning: () => {} });
    void worker.run();
    try {
      const { firstRun } = await admin.createTask({ type: "hello" });
      const run = await eventually(() => admin.getRun(firstRun!.id), (r) => r.state === RunState.SUCCEEDED);
      expect(run.attempts[0]!.workerId).toBe(worker.workerId);
    } finally {
      await worker.shutdown();
    }
  });

  it("refuses calls without a valid token: UNAUTHENTICATED, and HTTP 401 on Connect", async () => {
    const other = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const rsa = await generateKeyPair("RS256");
    const publicJwk = keys.settings.jwks!.keys[0]!;
    const claims = { roles: ["admin"], namespaces: ["*"], queues: ["*"] };
    const signed = (key: CryptoKey, alg: string, kid: string, edit: (j: SignJWT) => SignJWT = (j) => j) =>
      edit(new SignJWT(claims).setProtectedHeader({ alg, kid }).setSubject("mallory").setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setExpirationTime("10m")).sign(key);
    const cases: Record<string, string | undefined> = {
      "no token": undefined,
      "alg none": new UnsecuredJWT(claims).setSubject("mallory").setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setExpirationTime("10m").encode(),
      // HS256 with the server's public key as the secret: the classic key-confusion forgery.
      "HS256 with the public key": await signed(new TextEncoder().encode(JSON.stringify(publicJwk)) as unknown as CryptoKey, "HS256", "local-1"),
      "RS256, not an accepted algorithm": await signed(rsa.privateKey, "RS256", "local-1"),
      "unknown kid": await signed(other.privateKey, "EdDSA", "someone-else"),
      "the right kid, another key": await signed(other.privateKey, "EdDSA", "local-1"),
      "wrong audience": await signed(keys.privateKey, "EdDSA", "local-1", (j) => j.setAudience("another-service")),
      "wrong issuer": await signed(keys.privateKey, "EdDSA", "local-1", (j) => j.setIssuer("https://evil.example")),
      expired: await signed(keys.privateKey, "EdDSA", "local-1", (j) => j.setExpirationTime(Math.floor(Date.now() / 1000) - 120)),
      "no expiry": await new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", kid: "local-1" }).setSubject("m").setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).sign(keys.privateKey),
      garbage: "not.a.jwt",
    };
    for (const [name, t] of Object.entries(cases)) {
      expect(await codeOf(clientWith(t).list({})), name).toBe(Code.Unauthenticated);
    }
    const res = await fetch(`${tp.address}/taskplane.v1.TaskService/ListTasks`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe("unauthenticated");
  });

  it("refuses what a role does not grant: PERMISSION_DENIED", async () => {
    const viewer = clientWith(await token({ subject: "v", roles: ["viewer"] }));
    const submitter = clientWith(await token({ subject: "s", roles: ["submitter"] }));
    const worker = clientWith(await token({ subject: "w", roles: ["worker"], queues: ["default"] }));
    const admin = clientWith(await token({ subject: "a" }));
    const { task } = await admin.createTask({ type: "hello", schedule: { kind: { case: "manual", value: {} } } });
    expect(await codeOf(viewer.createTask({ type: "x" }))).toBe(Code.PermissionDenied);
    expect(await codeOf(viewer.trigger(task!.id))).toBe(Code.PermissionDenied);
    expect(await codeOf(submitter.cancel(task!.id))).toBe(Code.PermissionDenied);
    expect(await codeOf(worker.get(task!.id))).toBe(Code.PermissionDenied);
    expect(await codeOf(clientWith(await token({ subject: "n", roles: [] })).get(task!.id))).toBe(Code.PermissionDenied);
    expect((await viewer.get(task!.id)).id).toBe(task!.id);
    expect((await submitter.createTask({ type: "x", schedule: { kind: { case: "manual", value: {} } } })).task).toBeDefined();
  });

  it("lets a worker poll only its queues", async () => {
    const poller = async (queues: string[]) =>
      createClient(WorkerService, createTransport({ address: tp.address, token: await token({ subject: "w-q", roles: ["worker"], queues }), retry: noRetry }));
    const poll = (queue: string) => ({ workerId: "w-q", queue, taskTypes: ["x"], maxTasks: 1, wait: { seconds: 0n, nanos: 100_000_000 } });
    const onlyDefault = await poller(["default"]);
    expect(await codeOf(onlyDefault.pollTasks(poll("payroll")))).toBe(Code.PermissionDenied);
    expect(await codeOf(onlyDefault.pollTasks(poll("")))).toBeUndefined();
    expect(await codeOf((await poller(["*"])).pollTasks(poll("payroll")))).toBeUndefined();
  });

  it("caps the long polls one worker id may hold open", async () => {
    const client = createClient(WorkerService, createTransport({ address: tp.address, token: await token({ subject: "greedy", roles: ["worker"] }), retry: noRetry }));
    const poll = () => client.pollTasks({ workerId: "greedy", queue: "idle", taskTypes: ["x"], maxTasks: 1, wait: { seconds: 2n, nanos: 0 } });
    const held = [poll(), poll()];
    await eventually(async () => (await fetch(`${tp.address}/metrics`).then((r) => r.text())).match(/^taskplane_polls_waiting (\d+)/m)?.[1], (n) => Number(n) >= 2);
    const refused = await poll().then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(refused?.code).toBe(Code.ResourceExhausted);
    expect(refused?.metadata.get("retry-after-ms")).toBe("1000");
    await Promise.all(held);
    expect(await codeOf(poll())).toBeUndefined();
  });

  it("limits each principal's rate per class of method: RESOURCE_EXHAUSTED with a retry-after hint, 429 on Connect", async () => {
    const t = await token({ subject: "bursty", roles: ["viewer"] });
    const bursty = clientWith(t);
    const codes: (Code | undefined)[] = [];
    for (let i = 0; i < 5; i++) codes.push(await codeOf(bursty.list({})));
    expect(codes.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(codes.slice(3)).toEqual([Code.ResourceExhausted, Code.ResourceExhausted]);
    const err = await bursty.list({}).then(() => undefined, (e: unknown) => ConnectError.from(e));
    expect(Number(err!.metadata.get("retry-after-ms"))).toBeGreaterThan(0);
    // Another principal has a bucket of its own.
    expect(await codeOf(clientWith(await token({ subject: "calm", roles: ["viewer"] })).list({}))).toBeUndefined();
    const res = await fetch(`${tp.address}/taskplane.v1.TaskService/ListTasks`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t}` }, body: "{}" });
    expect(res.status).toBe(429);
    // The SDK waits as the hint says and then gets through.
    const patient = new TaskplaneClient({ address: tp.address, token: t, retry: { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 1 } });
    expect((await patient.list({})).tasks).toBeDefined();
  });

  it("answers server reflection without a token: the contract is public", async () => {
    const reflection = createClient(ServerReflection, createGrpcTransport({ baseUrl: tp.address }));
    async function* listServices() {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    }
    const names: string[] = [];
    for await (const res of reflection.serverReflectionInfo(listServices())) {
      if (res.messageResponse.case === "listServicesResponse") names.push(...res.messageResponse.value.service.map((x) => x.name));
    }
    expect(names).toContain("taskplane.v1.TaskService");
  });

  it("has a permission for every method the server serves", () => {
    const served = [file_taskplane_v1_task_service, file_taskplane_v1_worker_service, file_taskplane_v1_notification_service].flatMap((f) =>
      f.services.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)),
    );
    const covered = new Set(coveredProcedures());
    expect(served.filter((p) => !covered.has(p))).toEqual([]);
  });
});
