// Exercises gRPC server reflection end to end, with real third-party clients
// (buf curl, grpc-js) against a real HTTP/2 server.

import { execFile } from "node:child_process";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  timestampFromMs,
} from "@bufbuild/protobuf/wkt";
import { field as validateFieldExt } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as v1 from "@taskplane/proto/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "@taskplane/proto/grpc/reflection/v1alpha/reflection_pb.js";
import { TaskState } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { file_taskplane_v1_task_service, TaskService } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import { file_taskplane_v1_worker_service } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reflectionRoutes } from "../src/api/reflection-service.js";

const buf = fileURLToPath(new URL("../../node_modules/.bin/buf", import.meta.url));
const run = promisify(execFile);
const TASK_ID = "0b6f1c1e-7f43-4d8e-9a55-3f1f8e7f2a10";
const CREATED_MS = Date.UTC(2025, 0, 2, 3, 4, 5);

let server: http2.Http2Server;
const sessions = new Set<http2.ServerHttp2Session>();
let baseUrl = "";
const calledServices = new Set<string>();

beforeAll(async () => {
  // Records which services clients called, to tell v1 from v1alpha traffic.
  const record: Interceptor = (next) => (req) => {
    calledServices.add(req.service.typeName);
    return next(req);
  };
  server = http2.createServer(
    connectNodeAdapter({
      interceptors: [record],
      routes(router) {
        // Only GetTask is implemented: the rest answer UNIMPLEMENTED.
        router.service(TaskService, {
          getTask: (req) => ({
            task: { id: req.taskId, state: TaskState.ACTIVE, createTime: timestampFromMs(CREATED_MS) },
          }),
        });
        reflectionRoutes([file_taskplane_v1_task_service, file_taskplane_v1_worker_service])(router);
      },
    }),
  );
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  // Clients may keep HTTP/2 sessions open; close() alone would wait on them.
  for (const s of sessions) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

function bufCurl(...args: string[]) {
  return run(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], { timeout: 30_000 });
}

describe("buf curl (no local schema)", () => {
  it("lists every TaskService method via reflection", async () => {
    const { stdout } = await bufCurl("--list-methods", baseUrl);
    const listed = stdout.trim().split("\n");
    expect(listed).toContain("taskplane.v1.TaskService/CreateTask");
    for (const m of TaskService.methods) {
      expect(listed).toContain(`taskplane.v1.TaskService/${m.name}`);
    }
    expect(listed).toContain("taskplane.v1.WorkerService/PollTasks");
    // buf curl speaks v1 first; v1alpha is covered by the grpc-js test below.
    expect(calledServices).toContain("grpc.reflection.v1.ServerReflection");
  }, 30_000);

  it("calls GetTask, encoding and decoding JSON with the reflected schema", async () => {
    const { stdout } = await bufCurl(
      "-d",
      JSON.stringify({ taskId: TASK_ID }),
      `${baseUrl}/taskplane.v1.TaskService/GetTask`,
    );
    expect(JSON.parse(stdout)).toEqual({
      task: { id: TASK_ID, state: "TASK_STATE_ACTIVE", createTime: "2025-01-02T03:04:05Z" },
    });
  }, 30_000);
});

/** A raw bidi call to the v1alpha reflection service with grpc-js. */
function reflectWithGrpcJs(
  requests: MessageInitShape<typeof v1alpha.ServerReflectionRequestSchema>[],
): Promise<v1alpha.ServerReflectionResponse[]> {
  const client = new grpc.Client(new URL(baseUrl).host, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    (req: v1alpha.ServerReflectionRequest) => Buffer.from(toBinary(v1alpha.ServerReflectionRequestSchema, req)),
    (bytes: Buffer) => fromBinary(v1alpha.ServerReflectionResponseSchema, bytes),
  );
  return new Promise((resolve, reject) => {
    const responses: v1alpha.ServerReflectionResponse[] = [];
    call.on("data", (res: v1alpha.ServerReflectionResponse) => responses.push(res));
    call.on("error", (err) => {
      client.close();
      reject(err);
    });
    call.on("end", () => {
      client.close();
      resolve(responses);
    });
    for (const req of requests) call.write(create(v1alpha.ServerReflectionRequestSchema, req));
    call.end();
  });
}

describe("grpc-js against grpc.reflection.v1alpha", () => {
  it("returns a symbol's file with its transitive imports, and NOT_FOUND for unknown symbols", async () => {
    const [found, missing, ...rest] = await reflectWithGrpcJs([
      { host: "reflect.test", messageRequest: { case: "fileContainingSymbol", value: "taskplane.v1.WorkerService" } },
      { messageRequest: { case: "fileContainingSymbol", value: "taskplane.v1.NoSuchService" } },
    ]);
    expect(rest).toHaveLength(0);

    expect(found.validHost).toBe("reflect.test");
    expect(found.originalRequest?.messageRequest).toEqual({
      case: "fileContainingSymbol",
      value: "taskplane.v1.WorkerService",
    });
    expect(found.messageResponse.case).toBe("fileDescriptorResponse");
    const protos =
      found.messageResponse.case === "fileDescriptorResponse"
        ? found.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b))
        : [];
    const names = protos.map((p) => p.name);
    expect(names[0]).toBe("taskplane/v1/worker_service.proto"); // the answer comes first
    expect([...names].sort()).toEqual([
      "buf/validate/validate.proto",
      "google/protobuf/descriptor.proto",
      "google/protobuf/duration.proto",
      "google/protobuf/field_mask.proto",
      "google/protobuf/timestamp.proto",
      "taskplane/v1/task.proto",
      "taskplane/v1/worker_service.proto",
    ]);
    // The set is self-contained: ordered imports-first, it links with nothing
    // else (a missing import throws) and yields the service with its methods.
    const byName = new Map(protos.map((p) => [p.name, p]));
    const ordered = new Set<FileDescriptorProto>();
    const visit = (name: string) => {
      const proto = byName.get(name);
      if (!proto) throw new Error(`${name} was not sent`);
      proto.dependency.forEach(visit);
      ordered.add(proto);
    };
    visit(names[0]);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [...ordered] }));
    expect(registry.getService("taskplane.v1.WorkerService")?.methods.map((m) => m.name)).toContain("PollTasks");
    expect(registry.getMessage("taskplane.v1.Task")?.field.createTime).toBeDefined();

    expect(missing.messageResponse).toMatchObject({ case: "errorResponse", value: { errorCode: 5 } });
  });
});

describe("grpc.reflection.v1 via a Connect gRPC client", () => {
  async function reflect(requests: MessageInitShape<typeof v1.ServerReflectionRequestSchema>[]) {
    const client = createClient(v1.ServerReflection, createGrpcTransport({ baseUrl }));
    const responses: v1.ServerReflectionResponse[] = [];
    async function* send() {
      yield* requests;
    }
    for await (const res of client.serverReflectionInfo(send())) {
      responses.push(res);
    }
    return responses;
  }

  /** First file name of a file_descriptor_response, or the error code. */
  function outcome(res: v1.ServerReflectionResponse): string | number | undefined {
    const body = res.messageResponse;
    if (body.case === "fileDescriptorResponse") {
      return fromBinary(FileDescriptorProtoSchema, body.value.fileDescriptorProto[0]).name;
    }
    return body.case === "errorResponse" ? body.value.errorCode : undefined;
  }

  it("lists our services and the reflection services", async () => {
    const [res] = await reflect([{ messageRequest: { case: "listServices", value: "" } }]);
    const names =
      res.messageResponse.case === "listServicesResponse" ? res.messageResponse.value.service.map((s) => s.name) : [];
    expect(names.sort()).toEqual([
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "taskplane.v1.TaskService",
      "taskplane.v1.WorkerService",
    ]);
  });

  it.each([
    ["method", "taskplane.v1.TaskService.GetTask", "taskplane/v1/task_service.proto"],
    ["field", "taskplane.v1.GetTaskRequest.task_id", "taskplane/v1/task_service.proto"],
    ["map entry", "taskplane.v1.ListTasksRequest.LabelsEntry", "taskplane/v1/task_service.proto"],
    ["map entry field", "taskplane.v1.ListTasksRequest.LabelsEntry.value", "taskplane/v1/task_service.proto"],
    ["message", "taskplane.v1.Task", "taskplane/v1/task.proto"],
    ["oneof", "taskplane.v1.Schedule.kind", "taskplane/v1/task.proto"],
    ["enum", "taskplane.v1.TaskState", "taskplane/v1/task.proto"],
    ["enum value", "taskplane.v1.TASK_STATE_ACTIVE", "taskplane/v1/task.proto"],
    ["extension", "buf.validate.field", "buf/validate/validate.proto"],
    ["well-known type", "google.protobuf.Timestamp", "google/protobuf/timestamp.proto"],
    ["reflection itself", "grpc.reflection.v1alpha.ServerReflection", "grpc/reflection/v1alpha/reflection.proto"],
    ["unknown method", "taskplane.v1.TaskService.NoSuchMethod", 5],
    ["unknown enum value", "taskplane.v1.TASK_STATE_NOPE", 5],
    ["bare package", "taskplane", 5],
  ])("file_containing_symbol: %s", async (_kind, symbol, expected) => {
    const [res] = await reflect([{ messageRequest: { case: "fileContainingSymbol", value: symbol } }]);
    expect(outcome(res)).toBe(expected);
  });

  it("answers file, extension and extension-number lookups on one stream, echoing each request", async () => {
    const requests: MessageInitShape<typeof v1.ServerReflectionRequestSchema>[] = [
      { host: "h1", messageRequest: { case: "fileByFilename", value: "taskplane/v1/task.proto" } },
      { host: "h2", messageRequest: { case: "fileByFilename", value: "nope.proto" } },
      {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.FieldOptions", extensionNumber: validateFieldExt.number },
        },
      },
      {
        messageRequest: {
          case: "fileContainingExtension",
          value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 999_999 },
        },
      },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" } },
      { messageRequest: { case: "allExtensionNumbersOfType", value: "taskplane.v1.Nope" } },
      {},
    ];
    const res = await reflect(requests);
    expect(res.map(outcome)).toEqual([
      "taskplane/v1/task.proto",
      5,
      "buf/validate/validate.proto",
      5,
      undefined,
      5,
      3, // no message_request: INVALID_ARGUMENT
    ]);
    expect(res.map((r) => r.validHost)).toEqual(["h1", "h2", "", "", "", "", ""]);
    expect(res[1].originalRequest).toEqual(create(v1.ServerReflectionRequestSchema, requests[1]));
    expect(res[4].messageResponse).toMatchObject({
      case: "allExtensionNumbersResponse",
      value: {
        baseTypeName: "google.protobuf.FieldOptions",
        extensionNumber: expect.arrayContaining([validateFieldExt.number]),
      },
    });
  });
});
