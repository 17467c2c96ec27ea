/**
 * Writes the third-party .proto files that our schemas import into
 * build/proto-deps/ (a module of the buf workspace), with no network access.
 *
 * Why: the Buf Schema Registry (buf.build/bufbuild/protovalidate) cannot be
 * reached from our machines; only the npm registry can. So the sources come
 * from npm packages we depend on anyway:
 *  - buf/validate/validate.proto is printed from the FileDescriptorProto that
 *    @bufbuild/protovalidate embeds in its generated code. Names, numbers,
 *    types, labels, oneofs, reserved and extension ranges are exact; options
 *    (the predefined CEL rules) and comments are dropped. That is enough to
 *    compile our annotations, and for other languages' stubs, which import it
 *    (the Python example generates validate_pb2 from it). It is not for the TS
 *    build, nor for validation: buf.gen.yaml excludes it and maps imports of it
 *    to @bufbuild/protovalidate/gen, and the validator uses that package's own
 *    descriptor, rules included.
 *  - grpc/reflection/{v1,v1alpha}/reflection.proto are copied verbatim from
 *    @grpc/reflection.
 *
 * Tests and scripts read build/proto-deps/ while others may be running this
 * (controlplane/test/contract.test.ts runs it, generate.sh and the grpc-js test
 * read it), so the directory is never removed or half-written: the files are
 * written into a temp dir beside it, nothing more happens when they match what
 * is there, and otherwise each is renamed into place (rename is atomic).
 *
 * Run: npx tsx scripts/proto-deps.ts (deterministic; idempotent).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { isFieldSet } from "@bufbuild/protobuf";
import { protoCamelCase } from "@bufbuild/protobuf/reflect";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProto_Label as Label,
  FieldDescriptorProto_Type as Type,
  FieldDescriptorProtoSchema as FieldSchema,
  FieldOptionsSchema,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

type Lines = string[];
const ind = (depth: number) => "  ".repeat(depth);
const quote = (s: string) => JSON.stringify(s); // JSON escapes are valid in .proto string literals
const MAX_FIELD_NUMBER = 536870911;

/** Reserved/extension ranges; message ranges are end-exclusive, enum ranges end-inclusive. */
function ranges(rs: { start: number; end: number }[], endInclusive: boolean): string {
  return rs
    .map(({ start, end }) => {
      const last = endInclusive ? end : end - 1;
      return last === start ? `${start}` : `${start} to ${last >= MAX_FIELD_NUMBER ? "max" : last}`;
    })
    .join(", ");
}

function typeName(f: FieldDescriptorProto | undefined): string {
  if (!f || f.type === Type.GROUP) throw new Error(`unsupported field ${f?.name}`);
  return f.typeName !== "" ? f.typeName : Type[f.type].toLowerCase(); // ".pkg.Msg" is fully qualified
}

function fieldLine(f: FieldDescriptorProto, proto3: boolean, inOneof: boolean, mapEntry?: DescriptorProto): string {
  const label = mapEntry ? "" // map<K, V> fields carry no label
    : f.label === Label.REPEATED ? "repeated "
    : f.label === Label.REQUIRED ? "required "
    : !inOneof && (!proto3 || f.proto3Optional) ? "optional " : "";
  const type = mapEntry ? `map<${typeName(mapEntry.field[0])}, ${typeName(mapEntry.field[1])}>` : typeName(f);
  const opts: string[] = [];
  if (isFieldSet(f, FieldSchema.field.defaultValue)) {
    const v = f.defaultValue; // bytes defaults are stored C-escaped already
    opts.push(`default = ${f.type === Type.STRING ? quote(v) : f.type === Type.BYTES ? `"${v}"` : v}`);
  }
  if (isFieldSet(f, FieldSchema.field.jsonName) && f.jsonName !== protoCamelCase(f.name)) {
    opts.push(`json_name = ${quote(f.jsonName)}`);
  }
  if (f.options && isFieldSet(f.options, FieldOptionsSchema.field.packed)) opts.push(`packed = ${f.options.packed}`);
  return `${label}${type} ${f.name} = ${f.number}${opts.length ? ` [${opts.join(", ")}]` : ""};`;
}

function printExtends(exts: FieldDescriptorProto[], proto3: boolean, d: number): Lines {
  return [...new Set(exts.map((e) => e.extendee))].flatMap((extendee) => [
    `${ind(d)}extend ${extendee} {`,
    ...exts.filter((e) => e.extendee === extendee).map((e) => ind(d + 1) + fieldLine(e, proto3, false)),
    `${ind(d)}}`,
  ]);
}

function printEnum(e: EnumDescriptorProto, d: number): Lines {
  const out = [`${ind(d)}enum ${e.name} {`];
  if (e.options?.allowAlias) out.push(`${ind(d + 1)}option allow_alias = true;`);
  for (const v of e.value) out.push(`${ind(d + 1)}${v.name} = ${v.number};`);
  if (e.reservedRange.length) out.push(`${ind(d + 1)}reserved ${ranges(e.reservedRange, true)};`);
  if (e.reservedName.length) out.push(`${ind(d + 1)}reserved ${e.reservedName.map(quote).join(", ")};`);
  return [...out, `${ind(d)}}`];
}

/** `scope` is the fully qualified name of the message, e.g. ".buf.validate.FieldRules". */
function printMessage(m: DescriptorProto, scope: string, proto3: boolean, d: number): Lines {
  const out = [`${ind(d)}message ${m.name} {`];
  const mapEntry = (f: FieldDescriptorProto) =>
    m.nestedType.find((n) => n.options?.mapEntry && f.typeName === `${scope}.${n.name}`);
  const inOneof = (f: FieldDescriptorProto) => isFieldSet(f, FieldSchema.field.oneofIndex) && !f.proto3Optional;
  const printedOneofs = new Set<number>();
  for (const f of m.field) {
    if (!inOneof(f)) {
      out.push(ind(d + 1) + fieldLine(f, proto3, false, mapEntry(f)));
    } else if (!printedOneofs.has(f.oneofIndex)) {
      printedOneofs.add(f.oneofIndex);
      out.push(`${ind(d + 1)}oneof ${m.oneofDecl[f.oneofIndex]?.name} {`);
      for (const o of m.field.filter((x) => inOneof(x) && x.oneofIndex === f.oneofIndex)) {
        out.push(ind(d + 2) + fieldLine(o, proto3, true));
      }
      out.push(`${ind(d + 1)}}`);
    }
  }
  for (const n of m.nestedType) {
    if (!n.options?.mapEntry) out.push(...printMessage(n, `${scope}.${n.name}`, proto3, d + 1));
  }
  for (const e of m.enumType) out.push(...printEnum(e, d + 1));
  out.push(...printExtends(m.extension, proto3, d + 1));
  if (m.extensionRange.length) out.push(`${ind(d + 1)}extensions ${ranges(m.extensionRange, false)};`);
  if (m.reservedRange.length) out.push(`${ind(d + 1)}reserved ${ranges(m.reservedRange, false)};`);
  if (m.reservedName.length) out.push(`${ind(d + 1)}reserved ${m.reservedName.map(quote).join(", ")};`);
  return [...out, `${ind(d)}}`];
}

function printFile(file: FileDescriptorProto, header: string): string {
  const syntax = file.syntax === "" ? "proto2" : file.syntax; // an unset syntax means proto2
  if (syntax !== "proto2" && syntax !== "proto3") throw new Error(`unsupported syntax "${syntax}"`);
  if (file.service.length) throw new Error("services are not supported");
  const proto3 = syntax === "proto3";
  const out: Lines = [header, `syntax = "${syntax}";`, "", `package ${file.package};`, ""];
  for (const dep of file.dependency) out.push(`import "${dep}";`);
  if (file.options?.goPackage) out.push("", `option go_package = ${quote(file.options.goPackage)};`);
  for (const m of file.messageType) out.push("", ...printMessage(m, `.${file.package}.${m.name}`, proto3, 0));
  for (const e of file.enumType) out.push("", ...printEnum(e, 0));
  if (file.extension.length) out.push("", ...printExtends(file.extension, proto3, 0));
  return `${out.join("\n")}\n`;
}

/** package.json of an installed package (walks up from its entry point: exports may hide it). */
function packageJson(name: string): { path: string; version: string } {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, "package.json");
    const pkg = existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as { name?: string; version?: string }) : {};
    if (pkg.name === name) return { path, version: pkg.version ?? "unknown" };
  }
  throw new Error(`package.json of ${name} not found`);
}

/** Every file under `dir`, as sorted paths relative to it; none when it does not exist. */
function filesUnder(dir: string, prefix = ""): string[] {
  if (!existsSync(join(dir, prefix))) return [];
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : e.isFile() ? [join(prefix, e.name)] : []))
    .sort();
}

function sameFiles(a: string, b: string): boolean {
  const files = filesUnder(a);
  const other = filesUnder(b);
  return files.length === other.length &&
    files.every((f, i) => f === other[i] && readFileSync(join(a, f)).equals(readFileSync(join(b, f))));
}

/** Makes `outDir` hold exactly the files in `staged` (same file system); readers never see a missing or partial file. */
function moveIntoPlace(staged: string, outDir: string): "unchanged" | "written" {
  if (sameFiles(staged, outDir)) return "unchanged";
  try {
    renameSync(staged, outDir); // the first run: all files appear at once
    return "written";
  } catch (e) {
    // It exists (perhaps a concurrent run just created it): replace it file by file.
    if (!["ENOTEMPTY", "EEXIST"].includes((e as NodeJS.ErrnoException).code ?? "")) throw e;
  }
  const files = filesUnder(staged);
  for (const rel of files) {
    mkdirSync(dirname(join(outDir, rel)), { recursive: true });
    renameSync(join(staged, rel), join(outDir, rel));
  }
  for (const rel of filesUnder(outDir)) if (!files.includes(rel)) rmSync(join(outDir, rel), { force: true });
  return "written";
}

const require = createRequire(import.meta.url);
const outDir = fileURLToPath(new URL("../build/proto-deps", import.meta.url));
mkdirSync(dirname(outDir), { recursive: true });
// Beside outDir, so renames stay on one file system.
const staged = mkdtempSync(join(dirname(outDir), ".proto-deps-"));
const write = (rel: string, content: string | Buffer) => {
  mkdirSync(dirname(join(staged, rel)), { recursive: true });
  writeFileSync(join(staged, rel), content);
};

try {
  const validate = file_buf_validate_validate.proto;
  const pv = packageJson("@bufbuild/protovalidate").version;
  write(validate.name, printFile(validate,
    `// Generated by scripts/proto-deps.ts from the descriptor in @bufbuild/protovalidate@${pv}. DO NOT EDIT.\n` +
    "// Structure only (rule options and comments omitted): enough to compile annotations and other languages' stubs, not to validate.\n"));

  const reflectionRoot = join(dirname(packageJson("@grpc/reflection").path), "build", "proto");
  for (const rel of ["grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto"]) {
    write(rel, readFileSync(join(reflectionRoot, rel)));
  }
  const outcome = moveIntoPlace(staged, outDir);
  console.log(`proto-deps: ${validate.name}, grpc/reflection/{v1,v1alpha}/reflection.proto in ${outDir}: ${outcome === "written" ? "written" : "already up to date"}`);
} finally {
  rmSync(staged, { recursive: true, force: true });
}
