// Runs the real `taskplane` binary (bin/taskplane.js, as npm links it) as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/taskplane.js", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to its stdin, which is then closed [nothing]. */
  stdin?: string;
  /** Its environment on top of this process's, without any TASKPLANE_* variable of ours. */
  env?: Record<string, string>;
}

export interface RunningCli {
  child: ChildProcess;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TASKPLANE_")));
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...inherited, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(options.stdin ?? "");
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export const runCli = (args: string[], options: CliOptions = {}): Promise<CliResult> => startCli(args, options).done;
