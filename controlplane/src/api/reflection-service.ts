// gRPC server reflection (grpc.reflection.v1 and v1alpha) for connect-node,
// which does not ship one (connectrpc/connect-es#507). It lets schema-less
// clients such as `buf curl`, grpcurl, Postman and grpcui discover and call
// our services.
//
// Spec: https://github.com/grpc/grpc/blob/master/doc/server-reflection.md

import { create, createFileRegistry, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { DescFile, FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { DescriptorProto, EnumDescriptorProto } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "@taskplane/proto/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "@taskplane/proto/grpc/reflection/v1alpha/reflection_pb.js";

type Request = v1.ServerReflectionRequest;
type Response = v1.ServerReflectionResponse;
type ResponseBody = Response["messageResponse"];

/**
 * Routes serving gRPC server reflection for the services declared in `files`
 * (and for the reflection services themselves), under both
 * grpc.reflection.v1 and the older grpc.reflection.v1alpha that many clients
 * still use or fall back to.
 *
 * Pass the generated `file_*` descriptors of the files declaring the services
 * you serve; their imports are served too, transitively.
 */
export function reflectionRoutes(files: DescFile[]): (router: ConnectRouter) => void {
  const reflector = createReflector([
    ...files,
    v1.file_grpc_reflection_v1_reflection,
    v1alpha.file_grpc_reflection_v1alpha_reflection,
  ]);
  return (router) => {
    router.service(v1.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) yield reflector(req);
      },
    });
    // v1alpha is wire-identical to v1 (same field numbers and types), so
    // re-decoding the bytes as the other package's message converts losslessly.
    router.service(v1alpha.ServerReflection, {
      async *serverReflectionInfo(requests) {
        for await (const req of requests) {
          const asV1 = fromBinary(
            v1.ServerReflectionRequestSchema,
            toBinary(v1alpha.ServerReflectionRequestSchema, req),
          );
          yield fromBinary(
            v1alpha.ServerReflectionResponseSchema,
            toBinary(v1.ServerReflectionResponseSchema, reflector(asV1)),
          );
        }
      },
    });
  };
}

/** Answers one reflection request; version-neutral logic on v1 messages. */
function createReflector(files: DescFile[]): (req: Request) => Response {
  const registry = registryOf(files);
  const symbols = new Map<string, DescFile>();
  for (const file of registry.files) {
    for (const symbol of symbolsOf(file)) symbols.set(symbol, file);
  }
  const services = [...new Set(files.flatMap((f) => f.services.map((s) => s.typeName)))];
  // Descriptors never change at runtime, so serialize each file once.
  const serialized = new Map<string, Uint8Array>();
  const bytesOf = (file: DescFile) => {
    let bytes = serialized.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      serialized.set(file.proto.name, bytes);
    }
    return bytes;
  };

  // Files are always sent together with all their transitive imports, the
  // requested file first: clients (e.g. jhump/protoreflect's grpcreflect)
  // treat the first entry as the answer and cache the rest. We resend
  // already-sent imports rather than tracking per-stream state: it is allowed
  // and keeps every response self-contained.
  const fileResponse = (file: DescFile | undefined, what: string): ResponseBody =>
    file
      ? {
          case: "fileDescriptorResponse",
          value: create(v1.FileDescriptorResponseSchema, { fileDescriptorProto: withImports(file).map(bytesOf) }),
        }
      : notFound(what);

  function answer(req: Request): ResponseBody {
    const { case: kind, value } = req.messageRequest;
    switch (kind) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: create(v1.ListServiceResponseSchema, { service: services.map((name) => ({ name })) }),
        };
      case "fileByFilename":
        return fileResponse(registry.getFile(value), `file ${value}`);
      case "fileContainingSymbol":
        return fileResponse(symbols.get(value), `symbol ${value}`);
      case "fileContainingExtension": {
        const extendee = registry.getMessage(value.containingType);
        const ext = extendee && registry.getExtensionFor(extendee, value.extensionNumber);
        return fileResponse(ext?.file, `extension ${value.extensionNumber} of ${value.containingType}`);
      }
      case "allExtensionNumbersOfType": {
        if (!registry.getMessage(value)) return notFound(`type ${value}`);
        const numbers: number[] = [];
        for (const t of registry) {
          if (t.kind === "extension" && t.extendee.typeName === value) numbers.push(t.number);
        }
        return {
          case: "allExtensionNumbersResponse",
          value: create(v1.ExtensionNumberResponseSchema, { baseTypeName: value, extensionNumber: numbers }),
        };
      }
      default:
        return error(Code.InvalidArgument, "no message_request set");
    }
  }

  // The spec asks to echo the host and the request with every response.
  return (req) =>
    create(v1.ServerReflectionResponseSchema, {
      validHost: req.host,
      originalRequest: req,
      messageResponse: answer(req),
    });
}

/** One registry over `files` and everything they import. */
function registryOf(files: DescFile[]): FileRegistry {
  return createFileRegistry(
    // When resolve returns an existing DescFile, createFileRegistry adds it with
    // all of its own imports, so each root yields a registry of its closure.
    // (Resolving to FileDescriptorProtos instead breaks on diamond imports in
    // @bufbuild/protobuf 2.17: it links them in the wrong order.)
    ...files.map((f) =>
      createFileRegistry(f.proto, (name) => f.dependencies.find((d) => d.proto.name === name)),
    ),
  );
}

/** `file` followed by its transitive imports, each once. */
function withImports(file: DescFile, seen = new Set<string>()): DescFile[] {
  if (seen.has(file.proto.name)) return [];
  seen.add(file.proto.name);
  return [file, ...file.dependencies.flatMap((d) => withImports(d, seen))];
}

/**
 * Every fully-qualified name declared in `file`: messages (map entries
 * included), fields, oneofs, enums, enum values, extensions, services and
 * methods. Walks the FileDescriptorProto because DescFile hides map entries
 * and the registry only indexes types, not their members.
 */
function* symbolsOf(file: DescFile): Generator<string> {
  const join = (scope: string, name: string) => (scope ? `${scope}.${name}` : name);
  function* enumSymbols(scope: string, e: EnumDescriptorProto) {
    yield join(scope, e.name);
    // Enum values are siblings of their enum (C++ scoping): pkg.TASK_STATE_ACTIVE.
    for (const v of e.value) yield join(scope, v.name);
  }
  function* messageSymbols(scope: string, m: DescriptorProto): Generator<string> {
    const name = join(scope, m.name);
    yield name;
    for (const member of [...m.field, ...m.oneofDecl, ...m.extension]) yield join(name, member.name);
    for (const e of m.enumType) yield* enumSymbols(name, e);
    for (const nested of m.nestedType) yield* messageSymbols(name, nested);
  }
  const pkg = file.proto.package;
  for (const m of file.proto.messageType) yield* messageSymbols(pkg, m);
  for (const e of file.proto.enumType) yield* enumSymbols(pkg, e);
  for (const x of file.proto.extension) yield join(pkg, x.name);
  for (const s of file.proto.service) {
    yield join(pkg, s.name);
    for (const m of s.method) yield join(join(pkg, s.name), m.name);
  }
}

function notFound(what: string): ResponseBody {
  return error(Code.NotFound, `${what} not found`);
}

function error(code: Code, message: string): ResponseBody {
  // Code values are the gRPC status codes (NOT_FOUND = 5), as the spec wants.
  return {
    case: "errorResponse",
    value: create(v1.ErrorResponseSchema, { errorCode: code, errorMessage: message }),
  };
}
