// A second, independent client: what a worker in another language sees. The .proto files are
// loaded at run time with @grpc/proto-loader and called with @grpc/grpc-js, with no generated
// TypeScript and no @taskplane/sdk, so this checks the wire contract, not our own codegen.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const protoDir = fileURLToPath(new URL("../../proto/", import.meta.url));
const protoDepsDir = fileURLToPath(new URL("../../build/proto-deps/", import.meta.url));
const validateProto = fileURLToPath(new URL("../../build/proto-deps/buf/validate/validate.proto", import.meta.url));

// The shapes proto-loader produces with { longs: String, enums: String, defaults: true, oneofs: true }:
// int64 fields are strings, enums are their names, bytes are Buffers, unset messages are null.
interface Timestamp {
  seconds: string;
  nanos: number;
}
interface Payload {
  data: Buffer;
  contentType: string;
}
interface Task {
  id: string;
  state: string;
  createTime: Timestamp | null;
}
interface Attempt {
  number: number;
  workerId: string;
  outcome: string;
}
interface Run {
  id: string;
  taskId: string;
  taskType: string;
  state: string;
  attempt: number;
  output: Payload | null;
  attempts: Attempt[];
  endTime: Timestamp | null;
  heartbeatDetails: Buffer;
}
interface Assignment {
  runId: string;
  attempt: number;
  taskId: string;
  taskType: string;
  payload: Payload | null;
  priority: string;
  deadline: Timestamp | null;
  heartbeatTimeout: { seconds: string; nanos: number } | null;
}
interface LogEntry {
  attempt: number;
  time: Timestamp | null;
  message: string;
  sequence: string;
}

/** Calls one unary method of a grpc-js service client and resolves with its response. */
function unary<Res>(client: grpc.Client, method: string, request: object): Promise<Res> {
  const fn = (client as unknown as Record<string, unknown>)[method];
  if (typeof fn !== "function") throw new Error(`the loaded service has no method ${method}`);
  return new Promise<Res>((resolve, reject) => {
    const deadline = new Date(Date.now() + 15_000);
    (fn as (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: grpc.requestCallback<Res>) => void).call(
      client,
      request,
      new grpc.Metadata(),
      { deadline },
      (err, res) => (err ? reject(err) : resolve(res as Res)),
    );
  });
}

/** Resolves with the ServiceError a call fails with; fails the test if the call succeeds. */
async function callError(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (e) {
    return e as grpc.ServiceError;
  }
  throw new Error("the call succeeded but was expected to fail");
}

const toMs = (t: Timestamp | null) => (t ? Number(t.seconds) * 1000 + t.nanos / 1e6 : NaN);

describe("a grpc-js client built from the .proto files alone", () => {
  let tp: TestControlPlane;
  let tasks: grpc.Client;
  let workers: grpc.Client;

  beforeAll(async () => {
    if (!existsSync(validateProto)) {
      // Generated, not committed: create it the way `npm run generate` does.
      execFileSync("npx", ["tsx", "scripts/proto-deps.ts"], { cwd: repoRoot, stdio: "pipe" });
      if (!existsSync(validateProto)) {
        throw new Error(`${validateProto} is missing and scripts/proto-deps.ts did not create it`);
      }
    }
    const definition = protoLoader.loadSync(["taskplane/v1/task_service.proto", "taskplane/v1/worker_service.proto"], {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
      includeDirs: [protoDir, protoDepsDir],
    });
    const loaded = grpc.loadPackageDefinition(definition);
    const v1 = (loaded.taskplane as grpc.GrpcObject).v1 as grpc.GrpcObject;
    const TaskService = v1.TaskService as grpc.ServiceClientConstructor;
    const WorkerService = v1.WorkerService as grpc.ServiceClientConstructor;
    expect(TaskService, "taskplane.v1.TaskService in the loaded package").toBeTypeOf("function");
    expect(WorkerService, "taskplane.v1.WorkerService in the loaded package").toBeTypeOf("function");

    tp = await startTestControlPlane();
    const target = new URL(tp.address).host; // "127.0.0.1:PORT"
    expect(target).toMatch(/^127\.0\.0\.1:\d+$/);
    tasks = new TaskService(target, grpc.credentials.createInsecure());
    workers = new WorkerService(target, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    tasks?.close();
    workers?.close();
    await tp?.stop();
  });

  it("creates a task, runs it as a worker, and reads back the run and its logs", async () => {
    const input = { greeting: "hello from grpc-js", n: 42 };
    const created = await unary<{ task: Task; firstRun: Run | null; existing: boolean }>(tasks, "CreateTask", {
      task: {
        type: "polyglot.echo",
        payload: { data: Buffer.from(JSON.stringify(input)), contentType: "application/json" },
      },
    });
    expect(created.existing).toBe(false);
    expect(created.task.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.task.state).toBe("TASK_STATE_ACTIVE");
    expect(created.firstRun).not.toBeNull();
    const runId = created.firstRun!.id;
    expect(created.firstRun!.taskId).toBe(created.task.id);

    // Long-poll as a worker; the run is due at once, so one poll normally gets it.
    const workerId = `polyglot-${randomUUID()}`;
    const { assignments } = await eventually(
      () =>
        unary<{ assignments: Assignment[] }>(workers, "PollTasks", {
          workerId,
          queue: "default",
          taskTypes: ["polyglot.echo"],
          maxTasks: 1,
          wait: { seconds: 5, nanos: 0 },
        }),
      (res) => res.assignments.length > 0,
    );
    expect(assignments).toHaveLength(1);
    const a = assignments[0]!;
    expect(a.runId).toBe(runId);
    expect(a.taskId).toBe(created.task.id);
    expect(a.taskType).toBe("polyglot.echo");
    expect(a.attempt).toBe(1);
    expect(Buffer.isBuffer(a.payload!.data)).toBe(true);
    expect(JSON.parse(a.payload!.data.toString("utf8"))).toEqual(input);
    expect(a.payload!.contentType).toBe("application/json");
    expect(toMs(a.deadline)).toBeGreaterThan(Date.now());

    const beat = await unary<{ cancelRequested: boolean; leaseExpireTime: Timestamp | null }>(workers, "Heartbeat", {
      runId,
      attempt: a.attempt,
      details: Buffer.from("step 1"),
    });
    expect(beat.cancelRequested).toBe(false);
    expect(beat.leaseExpireTime).not.toBeNull();
    expect(typeof beat.leaseExpireTime!.seconds).toBe("string"); // longs: String
    expect(toMs(beat.leaseExpireTime)).toBeGreaterThan(Date.now());

    const running = await unary<{ run: Run }>(tasks, "GetRun", { runId });
    expect(running.run.state).toBe("RUN_STATE_RUNNING");
    expect(running.run.heartbeatDetails.toString("utf8")).toBe("step 1"); // kept for a next attempt

    await unary<object>(workers, "AppendLogs", {
      runId,
      attempt: a.attempt,
      lines: [
        { message: "first line" },
        { time: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 }, message: "second line" },
      ],
    });

    const output = { echoed: input, by: workerId };
    await unary<object>(workers, "CompleteRun", {
      runId,
      attempt: a.attempt,
      output: { data: Buffer.from(JSON.stringify(output)), contentType: "application/json" },
    });

    const { run } = await unary<{ run: Run }>(tasks, "GetRun", { runId });
    expect(run.id).toBe(runId);
    expect(run.state).toBe("RUN_STATE_SUCCEEDED");
    expect(run.attempt).toBe(1);
    expect(run.output).not.toBeNull();
    expect(JSON.parse(run.output!.data.toString("utf8"))).toEqual(output);
    expect(run.output!.contentType).toBe("application/json");
    expect(run.endTime).not.toBeNull();
    expect(run.attempts).toHaveLength(1);
    expect(run.attempts[0]).toMatchObject({ number: 1, workerId, outcome: "ATTEMPT_OUTCOME_SUCCEEDED" });

    const { entries } = await unary<{ entries: LogEntry[] }>(tasks, "ListRunLogs", { runId });
    expect(entries.map((e) => e.message)).toEqual(["first line", "second line"]);
    for (const e of entries) {
      expect(e.attempt).toBe(1);
      expect(e.time).not.toBeNull();
      expect(e.sequence).toMatch(/^\d+$/); // int64 as a string
    }
    const sequences = entries.map((e) => BigInt(e.sequence));
    expect(sequences[1]! > sequences[0]!).toBe(true);

    // A second report for the same attempt is refused and changes nothing.
    const again = await callError(
      unary<object>(workers, "CompleteRun", {
        runId,
        attempt: a.attempt,
        output: { data: Buffer.from("overwritten"), contentType: "text/plain" },
      }),
    );
    expect(again.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(again.code).toBe(9);
    const after = await unary<{ run: Run }>(tasks, "GetRun", { runId });
    expect(after.run.state).toBe("RUN_STATE_SUCCEEDED");
    expect(JSON.parse(after.run.output!.data.toString("utf8"))).toEqual(output);

    const task = await unary<{ task: Task }>(tasks, "GetTask", { taskId: created.task.id });
    expect(task.task.state).toBe("TASK_STATE_COMPLETED");
  });

  it("answers NOT_FOUND for an unknown task id", async () => {
    const err = await callError(unary(tasks, "GetTask", { taskId: randomUUID() }));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect(err.code).toBe(5);
  });

  it("answers INVALID_ARGUMENT naming task.type for an empty type", async () => {
    const err = await callError(unary(tasks, "CreateTask", { task: { type: "" } }));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.code).toBe(3);
    expect(err.details).toContain("task.type");
  });
});
