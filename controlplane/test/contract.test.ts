// The wire contract cannot break by accident: scripts/check-contract.sh (part of `npm run lint`)
// passes for the contract as it is and fails, naming the change, for a breaking edit.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, "../..");

async function check(workspace: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run("bash", [join(repo, "scripts/check-contract.sh"), workspace]);
    return { ok: true, output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout: string; stderr: string };
    return { ok: false, output: err.stdout + err.stderr };
  }
}

describe("contract compatibility check", () => {
  let workspace: string;
  beforeAll(async () => {
    await run("npx", ["tsx", "scripts/proto-deps.ts"], { cwd: repo });
    workspace = await mkdtemp(join(tmpdir(), "taskplane-contract-"));
    for (const path of ["buf.yaml", "proto/taskplane", "build/proto-deps"]) await cp(join(repo, path), join(workspace, path), { recursive: true });
  });
  afterAll(() => rm(workspace, { recursive: true, force: true }));

  const edit = async (file: string, from: string, to: string) => {
    const path = join(workspace, "proto/taskplane/v1", file);
    const text = await readFile(path, "utf8");
    expect(text).toContain(from);
    await writeFile(path, text.replace(from, to));
  };

  it("passes for the contract as it is", async () => {
    const result = await check(workspace);
    expect(result.output).toBe("");
    expect(result.ok).toBe(true);
  });

  it("fails for a changed field type and a removed field, naming them", async () => {
    await edit("worker_service.proto", "int32 max_tasks = 4", "int64 max_tasks = 4");
    await edit("task.proto", "  string reason = 19;\n", "");
    const result = await check(workspace);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/max_tasks.*type/s);
    expect(result.output).toMatch(/"19".*deleted|deleted.*reason/is);
  });
});
