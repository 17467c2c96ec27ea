// The Python worker as an end-to-end test: a real control plane, worker.py as a child process on
// Debian's python3-grpcio with stubs generate.sh makes from proto/, tasks submitted with the
// TypeScript client, and every outcome asserted: success, retry, non-retryable failure, logs,
// heartbeats, cancellation, a lost attempt, draining on SIGTERM, a retry resuming from heartbeat
// details, and submit.py's cron task.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttemptOutcome, decodePayload, duration, json, RunState, TaskState, type Run, type TaskSpecInit } from "@taskplane/sdk";
import { eventually, startTestControlPlane, type TestControlPlane } from "../../controlplane/test/harness/control-plane.js";

const here = fileURLToPath(new URL(".", import.meta.url));
// Debian's packages install for Debian's Python; a python3 earlier on PATH (pyenv, venv) cannot see them.
const PYTHON = "/usr/bin/python3";
const PACKAGES = "python3-grpcio python3-protobuf protobuf-compiler protobuf-compiler-grpc libprotobuf-dev";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

/** Fails (never skips) with the install command when a Debian package the example needs is missing. */
function requirePythonGrpc(): void {
  const problems: string[] = [];
  const python = spawnSync(PYTHON, ["-c", "import grpc, google.protobuf"], { encoding: "utf8" });
  if (python.error) problems.push(`${PYTHON}: ${python.error.message}`);
  else if (python.status !== 0) problems.push(`${PYTHON}: ${python.stderr.trim().split("\n").at(-1)}`);
  for (const tool of ["protoc", "grpc_python_plugin"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) problems.push(`${tool} is not on PATH`);
  }
  if (problems.length > 0) {
    throw new Error(`the Python worker needs Debian's gRPC packages (${problems.join("; ")}); install them with: apt-get install -y ${PACKAGES}`);
  }
}

/** A Python script running as a child process, its output kept for assertions and failure messages. */
class PythonProcess {
  output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(script: string, args: string[]) {
    this.child = spawn(PYTHON, [script, ...args], { cwd: here, env: { ...process.env, PYTHONUNBUFFERED: "1" } });
    this.child.stdout!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for output matching `pattern`; fails with the output so far when the process exits or time runs out. */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.output.match(pattern);
      if (match) return match;
      if (!this.running || Date.now() > deadline) {
        throw new Error(`${this.running ? `no ${pattern} within ${timeoutMs} ms` : `exited before ${pattern}`}; output:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Ends the process (SIGTERM, then SIGKILL after 10 s) and waits for it. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const finished = (r: Run) => r.state >= RunState.SUCCEEDED;
const outcomes = (r: Run) => r.attempts.map((a) => [a.workerId, AttemptOutcome[a.outcome], a.error?.type]);

describe("the Python worker", () => {
  let tp: TestControlPlane;
  let target: string;
  let worker: PythonProcess;
  const processes: PythonProcess[] = [];

  const startPython = (script: string, args: string[]) => {
    const p = new PythonProcess(script, ["--address", target, ...args]);
    processes.push(p);
    return p;
  };
  const startWorker = async (workerId: string, extra: string[] = []) => {
    const p = startPython("worker.py", ["--worker-id", workerId, "--poll-wait", "5", ...extra]);
    await p.waitFor(new RegExp(`worker ${workerId} polling`));
    return p;
  };
  const runOf = (runId: string, done: (r: Run) => boolean = finished) => eventually(() => tp.client.getRun(runId), done);
  /** Creates a task and waits for its first run to finish. */
  const runToEnd = async (spec: TaskSpecInit) => runOf((await tp.client.createTask(spec)).firstRun!.id);
  /** Waits until a handler has logged its first line: it is running. */
  const handlerStarted = (runId: string) => eventually(() => tp.client.logs(runId), (logs) => logs.length > 0);

  beforeAll(async () => {
    requirePythonGrpc();
    // Stubs are generated, never committed: make them the way a reader would.
    execFileSync("bash", ["generate.sh"], { cwd: here, stdio: "pipe" });
    tp = await startTestControlPlane();
    target = new URL(tp.address).host;
    worker = await startWorker("py-main", ["--concurrency", "8"]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await tp?.stop();
  });

  it("runs a handler and reports its output", async () => {
    const run = await runToEnd({ type: "py.echo", payload: json({ n: 42, word: "héllo" }) });
    expect(RunState[run.state], worker.output).toBe("SUCCEEDED");
    expect(decodePayload(run.output)).toEqual({ echo: { n: 42, word: "héllo" }, attempt: 1, language: "python" });
    expect(outcomes(run)).toEqual([["py-main", "SUCCEEDED", undefined]]);
  });

  it("retries a retryable failure, which succeeds on attempt 2", async () => {
    const run = await runToEnd({ type: "py.flaky", retryPolicy: { maxAttempts: 3, initialBackoff: duration(100) } });
    expect(RunState[run.state], worker.output).toBe("SUCCEEDED");
    expect(run.attempt).toBe(2);
    expect(decodePayload(run.output)).toEqual({ succeeded_on_attempt: 2 });
    expect(outcomes(run)).toEqual([["py-main", "FAILED", "TransientError"], ["py-main", "SUCCEEDED", undefined]]);
    expect(run.attempts[0]!.error).toMatchObject({ message: "the first attempt always fails", nonRetryable: false });
    // Each attempt's log lines carry its number.
    const logs = await tp.client.logs(run.id);
    expect(logs.map((l) => [l.attempt, l.message])).toEqual([[1, "attempt 1 of 3"], [2, "attempt 2 of 3"]]);
  });

  it("fails a non-retryable error after one attempt, whatever attempts are left", async () => {
    const run = await runToEnd({ type: "py.strict", payload: json({ ok: false }), retryPolicy: { maxAttempts: 5 } });
    expect(RunState[run.state], worker.output).toBe("FAILED");
    expect(run.attempt).toBe(1);
    expect(outcomes(run)).toEqual([["py-main", "FAILED", "InvalidInput"]]);
    expect(run.error).toMatchObject({ type: "InvalidInput", message: "payload.ok must be true", nonRetryable: true });
  });

  it("heartbeats an attempt past its heartbeat timeout, with progress details and logs", async () => {
    // 8 steps of 0.3 s: 2.4 s, more than twice the 1 s heartbeat timeout.
    const { firstRun } = await tp.client.createTask({
      type: "py.slow",
      payload: json({ steps: 8, step_seconds: 0.3 }),
      timeouts: { heartbeat: duration(1_000) },
      retryPolicy: { maxAttempts: 1 },
    });
    const running = await runOf(firstRun!.id, (r) => finished(r) || r.heartbeatDetails.length > 0);
    expect(RunState[running.state], worker.output).toBe("RUNNING");
    expect(text(running.heartbeatDetails)).toMatch(/^step [1-7]\/8$/);
    const run = await runOf(firstRun!.id);
    expect(RunState[run.state], worker.output).toBe("SUCCEEDED");
    expect(outcomes(run)).toEqual([["py-main", "SUCCEEDED", undefined]]);
    expect(decodePayload(run.output)).toEqual({ steps: 8, resumed_after: 0 });
    const logs = await tp.client.logs(run.id);
    expect(logs.map((l) => l.message)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `step ${i}/8`));
    const sequences = logs.map((l) => Number(l.sequence));
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  });

  it("stops a running handler when its task is cancelled; the run ends CANCELLED", async () => {
    // 200 steps of 0.1 s: it would run 20 s if the cancellation went unheeded.
    const { task, firstRun } = await tp.client.createTask({
      type: "py.slow",
      payload: json({ steps: 200, step_seconds: 0.1 }),
      timeouts: { heartbeat: duration(1_000) },
    });
    await handlerStarted(firstRun!.id);
    const { cancelledRuns } = await tp.client.cancel(task!.id, { reason: "the test cancels it" });
    expect(cancelledRuns).toBe(1);
    const run = await runOf(firstRun!.id);
    expect(RunState[run.state], worker.output).toBe("CANCELLED");
    // Reported by the worker (a lease that ran out would say TIMED_OUT, HeartbeatTimeout).
    expect(outcomes(run)).toEqual([["py-main", "CANCELLED", "Cancelled"]]);
    // The handler saw the cancellation (its sleep raised Cancelled) and stopped early.
    const logs = await tp.client.logs(run.id);
    const stopped = logs.at(-1)!.message.match(/^stopped before step (\d+)\/200: Cancelled$/);
    expect(stopped, JSON.stringify(logs.map((l) => l.message))).not.toBeNull();
    expect(Number(stopped![1])).toBeLessThan(200);
  });

  it("drops an attempt the server no longer holds it to (FAILED_PRECONDITION), reporting nothing", async () => {
    const stale = await startWorker("py-stale", ["--queue", "stale"]);
    const { firstRun } = await tp.client.createTask({
      type: "py.slow",
      queue: "stale",
      payload: json({ steps: 10, step_seconds: 0.2 }),
      timeouts: { heartbeat: duration(1_000) },
      retryPolicy: { maxAttempts: 1 },
    });
    await handlerStarted(firstRun!.id);
    // Frozen past its heartbeat timeout, the worker loses the attempt; thawed, it learns so from its next heartbeat.
    stale.signal("SIGSTOP");
    const run = await runOf(firstRun!.id).finally(() => stale.signal("SIGCONT"));
    expect(RunState[run.state]).toBe("TIMED_OUT");
    await stale.waitFor(new RegExp(`run ${firstRun!.id} attempt 1 \\(py.slow\\) dropped: attempt 1 of run ${firstRun!.id} is no longer current`));
    expect(stale.output).not.toMatch(/result refused/);
    expect(outcomes(await tp.client.getRun(firstRun!.id))).toEqual([["py-stale", "TIMED_OUT", "HeartbeatTimeout"]]);
    await stale.stop();
    expect(await stale.exited).toEqual({ code: 0, signal: null });
  });

  it("drains on SIGTERM: polls no more, finishes the running attempt, exits 0", async () => {
    const draining = await startWorker("py-drain", ["--queue", "drain"]);
    const { firstRun } = await tp.client.createTask({ type: "py.slow", queue: "drain", payload: json({ steps: 5, step_seconds: 0.3 }) });
    await handlerStarted(firstRun!.id);
    draining.signal("SIGTERM");
    await draining.waitFor(/draining: 1 attempt\(s\) running/);
    // Created after the worker stopped polling: it stays queued.
    const { firstRun: late } = await tp.client.createTask({ type: "py.echo", queue: "drain" });
    expect(await draining.exited).toEqual({ code: 0, signal: null });
    expect(draining.output).toMatch(/worker py-drain stopped/);
    const run = await tp.client.getRun(firstRun!.id);
    expect(RunState[run.state], draining.output).toBe("SUCCEEDED");
    expect(outcomes(run)).toEqual([["py-drain", "SUCCEEDED", undefined]]);
    expect((await tp.client.logs(run.id)).map((l) => l.message)).toEqual([1, 2, 3, 4, 5].map((i) => `step ${i}/5`));
    expect(RunState[(await tp.client.getRun(late!.id)).state]).toBe("QUEUED");
  });

  it("stops the attempt when the shutdown grace runs out; the retry resumes from its heartbeat details", async () => {
    const first = await startWorker("py-resume-1", ["--queue", "resume", "--shutdown-grace", "0.1"]);
    const { firstRun } = await tp.client.createTask({
      type: "py.slow",
      queue: "resume",
      payload: json({ steps: 6, step_seconds: 0.3 }),
      timeouts: { heartbeat: duration(1_000) },
      retryPolicy: { maxAttempts: 2, initialBackoff: duration(100) },
    });
    // Once the server holds some progress, the retry has something to resume from.
    await runOf(firstRun!.id, (r) => finished(r) || r.heartbeatDetails.length > 0);
    first.signal("SIGTERM");
    expect(await first.exited, first.output).toEqual({ code: 0, signal: null });
    expect(first.output).toMatch(/failed \(WorkerShutdown: the worker shut down before the handler finished\), will retry/);

    const second = await startWorker("py-resume-2", ["--queue", "resume"]);
    const run = await runOf(firstRun!.id);
    expect(RunState[run.state], second.output).toBe("SUCCEEDED");
    expect(outcomes(run)).toEqual([["py-resume-1", "FAILED", "WorkerShutdown"], ["py-resume-2", "SUCCEEDED", undefined]]);
    const logs = await tp.client.logs(run.id);
    const [stoppedAt] = logs.filter((l) => l.attempt === 1).at(-1)!.message.match(/^stopped before step (\d)\/6: WorkerShutdown$/)!.slice(1).map(Number);
    const resumed = logs.filter((l) => l.attempt === 2).map((l) => l.message);
    const [resumedAfter] = resumed[0]!.match(/^resuming after step (\d)\/6$/)!.slice(1).map(Number);
    // The retry picks up where the first attempt's last heartbeat left off, and does the rest.
    expect(resumedAfter).toBeGreaterThanOrEqual(1);
    expect(resumedAfter).toBeLessThan(stoppedAt!);
    expect(resumed.slice(1)).toEqual([1, 2, 3, 4, 5, 6].slice(resumedAfter).map((i) => `step ${i}/6`));
    expect(decodePayload(run.output)).toEqual({ steps: 6, resumed_after: resumedAfter });
  });

  it("submit.py creates a cron task, prints its runs and cancels it", async () => {
    const submit = startPython("submit.py", ["--cron", "* * * * * *", "--runs", "2", "--timeout", "15"]);
    expect(await submit.exited, submit.output).toEqual({ code: 0, signal: null });
    const taskId = submit.output.match(new RegExp(`^created task (${UUID}): py.echo on cron '\\* \\* \\* \\* \\* \\*' in UTC, next fire \\S+Z$`, "m"))?.[1];
    expect(taskId, submit.output).toBeDefined();
    // Local times in the schedule's zone, as GetTask's upcoming fires give them.
    expect(submit.output).toMatch(/^upcoming fires: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00(, |$)){3}/m);
    const printed = [...submit.output.matchAll(new RegExp(`^run (${UUID}) (\\w+) scheduled (\\S+) attempt (\\d+) worker (\\S+) output (.*)$`, "gm"))];
    expect(printed, submit.output).toHaveLength(2);
    for (const [, runId, state, scheduled, attempt, workerId, output] of printed) {
      expect([state, attempt, workerId]).toEqual(["SUCCEEDED", "1", "py-main"]);
      expect(JSON.parse(output!)).toEqual({ attempt: 1, echo: { from: "submit.py" }, language: "python" });
      // What submit.py printed is what the TypeScript client reads.
      const run = await tp.client.getRun(runId!);
      expect(run.taskId).toBe(taskId);
      expect(new Date(Number(run.scheduledTime!.seconds) * 1000).toISOString()).toBe(scheduled);
    }
    expect(new Set(printed.map((m) => m[3])).size).toBe(2);
    expect(submit.output).toMatch(new RegExp(`^cancelled task ${taskId}: CANCELLED, \\d+ unfinished run\\(s\\) cancelled$`, "m"));
    expect((await tp.client.get(taskId!)).state).toBe(TaskState.CANCELLED);
  });
});
