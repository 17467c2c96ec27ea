// The `taskplane` CLI as users run it: the real binary, spawned, against a control plane with
// authentication over real gRPC and Postgres. Every command's table and JSON output, the exit codes
// scripts rely on, and the one-line errors.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CatchUpMode, json, OverlapPolicy, RunState, schedules, TaskplaneClient, TaskState } from "@taskplane/sdk";
import { loadLocalKeys, mintToken, type LocalKeys } from "../src/auth/local-keys.js";
import type { Role } from "../src/auth/principal.js";
import { freePort } from "../src/free-port.js";
import { makeCertificates, type TestCertificates } from "./harness/certificates.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { runCli, startCli, type CliResult } from "./harness/taskplane-cli.js";

const noRetry = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };

/** What the proto JSON mapping gives for the fields these tests read. */
interface TaskJson {
  id: string;
  state: string;
  nextFireTime?: string;
  spec: {
    type: string;
    priority?: string;
    labels?: Record<string, string>;
    idempotencyKey?: string;
    payload?: { data: string; contentType: string };
    retryPolicy?: { maxAttempts?: number };
    schedule: { cron?: { expression: string; timeZone: string; onMissingTime?: string; onRepeatedTime?: string }; once?: { at: string }; interval?: { every: string }; manual?: object; catchUp?: object };
  };
}
interface RunJson {
  id: string;
  state: string;
  trigger: string;
  attempt?: number;
  scheduledTime?: string;
  reason?: string;
}
interface FireJson {
  time: string;
  localTime: string;
  timeZone: string;
  dueTime?: string;
  note?: string;
}

describe("taskplane CLI", () => {
  let dir: string;
  let keys: LocalKeys;
  let tp: TestControlPlane;
  let admin: TaskplaneClient;
  const tokens: Record<"admin" | "viewer" | "worker", string> = { admin: "", viewer: "", worker: "" };
  const mint = (subject: string, roles: Role[]) => mintToken(keys, { subject, roles, namespaces: ["*"], queues: ["*"], ttlSeconds: 600 });

  /** Runs `taskplane …` against the test control plane, as the admin unless told otherwise (null: no token). */
  const cli = (args: string[], options: { token?: string | null; stdin?: string; env?: Record<string, string> } = {}) =>
    runCli(args, { stdin: options.stdin, env: envFor(options.token, options.env) });
  const envFor = (token: string | null | undefined, env: Record<string, string> = {}) => ({
    TASKPLANE_SERVER: tp.address,
    ...(token === null ? {} : { TASKPLANE_TOKEN: token ?? tokens.admin }),
    ...env,
  });
  /** Asserts success (showing stderr when not) and parses the JSON document it printed. */
  const parsed = <T>(r: CliResult): T => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    return JSON.parse(r.stdout) as T;
  };
  const succeeded = (r: CliResult) => {
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  /** A failure prints exactly one line on stderr, no stack, and nothing on stdout. */
  const failed = (r: CliResult, code: number, line: RegExp) => {
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(line);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };
  const createTask = async (args: string[]) => parsed<{ task: TaskJson; firstRun?: RunJson }>(await cli(["tasks", "create", ...args, "-o", "json"])).task;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-cli-"));
    keys = await loadLocalKeys(dir);
    tp = await startTestControlPlane({}, { config: { auth: keys.settings } });
    [tokens.admin, tokens.viewer, tokens.worker] = await Promise.all([mint("cli-admin", ["admin"]), mint("cli-viewer", ["viewer"]), mint("cli-worker", ["worker"])]);
    admin = new TaskplaneClient({ address: tp.address, token: tokens.admin, retry: noRetry });
  });
  afterAll(async () => {
    await tp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("creates tasks with each kind of schedule flag, labels, priority, attempts and a payload from stdin", async () => {
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 7 * 86_400_000).toISOString().replace(".000Z", "Z");
    const before = Date.now();
    const [cron, once, delayed, every, manual] = await Promise.all([
      createTask(["--type", "report.build", "--cron", "0 9 * * MON-FRI", "--tz", "Europe/Berlin", "--label", "team=growth", "--label", "suite=create"]),
      createTask(["--type", "report.once", "--at", at]),
      cli(["tasks", "create", "--type", "email.send", "--in", "10m", "--payload-file", "-", "-o", "json"], { stdin: '{"to":"ada@example.com"}' }).then((r) => parsed<{ task: TaskJson }>(r).task),
      createTask(["--type", "metrics.flush", "--every", "30s", "--priority", "high", "--max-attempts", "5", "--catch-up", "all", "--catch-up-window", "6h", "--catch-up-max", "20"]),
      createTask(["--type", "reindex", "--payload", "plain words", "--idempotency-key", "cli-once"]),
    ]);
    const after = Date.now();

    // Policies left out come back as the defaults they stand for.
    expect(cron.spec.schedule.cron).toEqual({
      expression: "0 9 * * MON-FRI",
      timeZone: "Europe/Berlin",
      onMissingTime: "MISSING_TIME_POLICY_RUN_AT_NEXT_VALID_TIME",
      onRepeatedTime: "REPEATED_TIME_POLICY_RUN_ONCE_FIRST",
    });
    expect(cron.spec.labels).toEqual({ team: "growth", suite: "create" });
    expect(once.spec.schedule.once).toEqual({ at });
    expect(once.nextFireTime).toBe(at);
    const fires = Date.parse(delayed.nextFireTime!);
    expect(fires).toBeGreaterThanOrEqual(before + 600_000 - 1_000);
    expect(fires).toBeLessThanOrEqual(after + 600_000 + 1_000);
    expect(delayed.spec.payload!.contentType).toBe("application/json");
    expect(Buffer.from(delayed.spec.payload!.data, "base64").toString()).toBe('{"to":"ada@example.com"}');
    expect(every.spec.schedule.interval!.every).toBe("30s");
    expect(every.spec.priority).toBe("PRIORITY_HIGH");
    expect(every.spec.retryPolicy!.maxAttempts).toBe(5);
    expect(every.spec.schedule.catchUp).toEqual({ mode: "CATCH_UP_MODE_ALL", window: "21600s", maxRuns: 20 });
    // No schedule flag: manual, runs only when triggered.
    expect(manual.spec.schedule.manual).toEqual({});
    expect(manual.spec.payload!.contentType).toBe("application/octet-stream");
    expect(manual.spec.idempotencyKey).toBe("cli-once");

    // The server holds what the CLI printed.
    const stored = await admin.get(cron.id);
    expect(stored.spec!.schedule!.kind.case).toBe("cron");
    expect((await admin.get(manual.id)).spec!.schedule!.kind.case).toBe("manual");
  });

  it("lists and gets tasks as a table and as JSON", async () => {
    const { task } = await admin.createTask({ type: "list.me", schedule: schedules.every(3_600_000), labels: { suite: "list" } });
    const [table, list, getTable, got] = await Promise.all([
      cli(["tasks", "list", "--label", "suite=list"]),
      cli(["tasks", "list", "--label", "suite=list", "-o", "json"]),
      cli(["tasks", "get", task!.id]),
      cli(["tasks", "get", task!.id, "--output", "json"]),
    ]);
    const lines = succeeded(table).trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ID\s+NAMESPACE\s+TYPE\s+QUEUE\s+STATE\s+SCHEDULE\s+NEXT FIRE \(UTC\)$/);
    expect(lines[1]).toMatch(new RegExp(`^${task!.id}\\s+default\\s+list\\.me\\s+default\\s+ACTIVE\\s+every 1h\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`));
    expect(parsed<TaskJson[]>(list).map((t) => t.id)).toEqual([task!.id]);
    expect(succeeded(getTable)).toMatch(/^state:\s+ACTIVE$/m);
    expect(getTable.stdout).toMatch(/^schedule:\s+every 1h$/m);
    expect(getTable.stdout).toMatch(/^policies:\s+overlap SKIP; catch-up ONE within 1h$/m);
    const { task: berlin } = await admin.createTask({
      type: "list.berlin",
      schedule: schedules.cron("30 2 * * *", "Europe/Berlin", { overlapPolicy: OverlapPolicy.ALLOW, jitterMs: 90_000, catchUp: { mode: CatchUpMode.SKIP } }),
    });
    expect(succeeded(await cli(["tasks", "get", berlin!.id]))).toMatch(
      /^policies:\s+overlap ALLOW; catch-up SKIP; jitter 1m30s; DST missing RUN_AT_NEXT_VALID_TIME, repeated RUN_ONCE_FIRST$/m,
    );
    expect(getTable.stdout).toMatch(/^labels:\s+suite=list$/m);
    expect(parsed<TaskJson>(got)).toMatchObject({ id: task!.id, state: "TASK_STATE_ACTIVE", spec: { type: "list.me" } });
  });

  it("gets a task with its next fires: UTC, local and due times and DST notes; a preview of it has the due times too", async () => {
    // From next year's last week of March, in which Europe/Berlin's clocks jump from 02:00 to 03:00.
    const year = new Date().getUTCFullYear() + 1;
    const { task } = await admin.createTask({
      type: "cli.next-fires",
      queue: "idle",
      schedule: schedules.cron("30 2 * * *", "Europe/Berlin", { startTime: new Date(Date.UTC(year, 2, 24)), jitterMs: 600_000 }),
    });
    const [table, json, preview, previewJson] = await Promise.all([
      cli(["tasks", "get", task!.id]),
      cli(["tasks", "get", task!.id, "-o", "json"]),
      cli(["tasks", "preview", task!.id, "--count", "12"]),
      cli(["tasks", "preview", task!.id, "--count", "12", "-o", "json"]),
    ]);

    const got = parsed<TaskJson & { upcomingFires: FireJson[] }>(json);
    expect(got).toMatchObject({ id: task!.id, spec: { type: "cli.next-fires" } });
    const fires = got.upcomingFires;
    expect(fires).toHaveLength(10);
    expect(fires[0]).toMatchObject({ time: `${year}-03-24T01:30:00Z`, localTime: `${year}-03-24T02:30:00+01:00`, timeZone: "Europe/Berlin" });
    for (const f of fires) {
      const offset = Date.parse(f.dueTime!) - Date.parse(f.time);
      expect(offset, f.time).toBeGreaterThanOrEqual(0);
      expect(offset, f.time).toBeLessThan(600_000);
    }
    const gap = fires.filter((f) => /02:30 does not exist/.test(f.note ?? ""));
    expect(gap).toHaveLength(1);
    expect(gap[0]!.localTime).toMatch(/T02:30:00$/);

    // The table's "next fires" lines: UTC, local time, the due time when jitter moves it, the note.
    const lines = succeeded(table).split("\n");
    const first = lines.indexOf("next fires:");
    expect(first, table.stdout).toBeGreaterThan(0);
    const fireLines = lines.slice(first + 1, first + 11);
    fires.forEach((f, i) => {
      expect(fireLines[i]!.startsWith(`  ${f.time}  ${f.localTime} `), fireLines[i]).toBe(true);
      if (f.dueTime !== f.time) expect(fireLines[i]).toContain(`  due ${f.dueTime}`);
    });
    expect(fireLines.find((l) => l.startsWith(`  ${gap[0]!.time}`))).toMatch(/\s02:30 does not exist on \S+ in Europe\/Berlin: clocks jump from 02:00 to 03:00/);

    // The preview has the same due times for those fires; after them it cannot know them.
    const previewed = parsed<FireJson[]>(previewJson);
    expect(previewed).toHaveLength(12);
    expect(previewed.slice(0, 10).map((f) => [f.time, f.dueTime])).toEqual(fires.map((f) => [f.time, f.dueTime]));
    expect(previewed.slice(10).map((f) => f.dueTime)).toEqual([undefined, undefined]);
    const rows = succeeded(preview).trimEnd().split("\n");
    expect(rows[0]).toMatch(/^TIME \(UTC\)\s+DUE \(UTC\)\s+LOCAL TIME\s+ZONE\s+DST\s+RUNS\s+NOTE$/);
    expect(rows[1]!.split(/\s+/).slice(0, 3)).toEqual([fires[0]!.time, fires[0]!.dueTime, fires[0]!.localTime]);
    expect(rows.slice(11).map((r) => r.split(/\s+/)[1])).toEqual(["unknown", "unknown"]);
  });

  it("triggers a run a worker completes, follows its logs until it ends, shows it, retries it, and lists the worker", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const worker = tp.worker({
      token: tokens.worker,
      handlers: {
        "cli.echo": async (payload, ctx) => {
          ctx.log(`started with ${JSON.stringify(payload)}`);
          await gate;
          ctx.log("finished");
          return { ok: true };
        },
      },
    });
    const task = (await admin.createTask({ type: "cli.echo", schedule: schedules.manual() })).task!;
    const run = parsed<RunJson>(await cli(["tasks", "trigger", task.id, "--payload", '{"n":1}', "-o", "json"]));
    expect(run).toMatchObject({ trigger: "RUN_TRIGGER_MANUAL" });

    const follow = startCli(["runs", "logs", run.id, "--follow", "--interval", "200ms"], { env: envFor(undefined) });
    await eventually(async () => follow.stdout(), (out) => out.includes('started with {"n":1}'));
    // The run is still going (the handler waits for the gate), so --follow is still running too.
    expect(follow.child.exitCode).toBeNull();
    release();
    const followed = await follow.done;
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z \[attempt 1\] started with \{"n":1\}\n\S+ \[attempt 1\] finished\n$/);
    expect(followed.stderr).toMatch(/following run/);

    const [got, logs, runs, workersTable, workers] = await Promise.all([
      cli(["runs", "get", run.id]),
      cli(["runs", "logs", run.id, "-o", "json"]),
      cli(["runs", "list", "--task", task.id, "-o", "json"]),
      cli(["workers", "list"]),
      cli(["workers", "list", "-o", "json"]),
    ]);
    expect(succeeded(got)).toMatch(/^state:\s+SUCCEEDED$/m);
    expect(got.stdout).toMatch(new RegExp(`#1 SUCCEEDED on ${worker.workerId}`));
    expect(got.stdout).toMatch(/^output:\s+\{"ok":true\}$/m);
    expect(parsed<{ message: string }[]>(logs).map((l) => l.message)).toEqual(['started with {"n":1}', "finished"]);
    expect(parsed<RunJson[]>(runs)).toEqual([expect.objectContaining({ id: run.id, state: "RUN_STATE_SUCCEEDED" })]);
    expect(succeeded(workersTable)).toMatch(new RegExp(`^${worker.workerId}\\s+default\\s+default\\s+cli\\.echo\\s+cli-worker\\s+\\d+\\s+yes\\s`, "m"));
    expect(parsed<object[]>(workers)).toContainEqual(expect.objectContaining({ workerId: worker.workerId, principal: "cli-worker", connected: true }));

    const retried = parsed<RunJson>(await cli(["tasks", "retry", task.id, "-o", "json"]));
    expect(retried.id).toBe(run.id);
    const again = await eventually(() => admin.getRun(run.id), (r) => r.state === RunState.SUCCEEDED && r.attempt === 2);
    expect(again.attempts).toHaveLength(2);
  });

  it("stops following on Ctrl-C with exit code 130", async () => {
    const { task } = await admin.createTask({ type: "cli.nobody-runs-this", queue: "idle", schedule: schedules.manual() });
    const run = await admin.trigger(task!.id, json({}));
    const follow = startCli(["runs", "logs", run.id, "--follow"], { env: envFor(undefined) });
    await eventually(async () => follow.stderr(), (err) => err.includes("following run"));
    follow.child.kill("SIGINT");
    const result = await follow.done;
    expect(result.code).toBe(130);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("pauses, resumes, cancels and deletes", async () => {
    const task = (await admin.createTask({ type: "cli.steer", schedule: schedules.every(3_600_000) })).task!;
    expect(succeeded(await cli(["tasks", "pause", task.id]))).toMatch(/^state:\s+PAUSED$/m);
    expect((await admin.get(task.id)).state).toBe(TaskState.PAUSED);
    expect(parsed<TaskJson>(await cli(["tasks", "resume", task.id, "-o", "json"])).state).toBe("TASK_STATE_ACTIVE");
    expect((await admin.get(task.id)).state).toBe(TaskState.ACTIVE);
    expect(succeeded(await cli(["tasks", "cancel", task.id, "--reason", "done with it"]))).toBe(`cancelled task ${task.id}: 1 run(s) cancelled or asked to stop\n`);
    expect((await admin.get(task.id)).state).toBe(TaskState.CANCELLED);
    // A cancelled task cannot be paused: FAILED_PRECONDITION, exit code 7.
    failed(await cli(["tasks", "pause", task.id]), 7, /^taskplane: failed precondition: .*CANCELLED/);

    const doomed = (await admin.createTask({ type: "cli.doomed", schedule: schedules.manual() })).task!;
    expect(parsed<object>(await cli(["tasks", "delete", doomed.id, "-o", "json"]))).toEqual({});
    failed(await cli(["tasks", "get", doomed.id]), 3, new RegExp(`^taskplane: not found: task ${doomed.id} not found\\n$`));
  });

  it("previews fire times with what DST does to them, for schedule flags and for a task", async () => {
    const spring = ["tasks", "preview", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--after", "2026-03-27T00:00:00Z", "--count", "4"];
    const autumn = ["tasks", "preview", "--cron", "30 2 * * *", "--tz", "Europe/Berlin", "--on-repeated-time", "run-both", "--after", "2026-10-24T12:00:00Z", "--count", "3"];
    const task = (await admin.createTask({ type: "cli.preview", schedule: schedules.cron("0 9 * * *", "America/New_York") })).task!;
    const [table, json, repeated, ofTask] = await Promise.all([cli(spring), cli([...spring, "-o", "json"]), cli(autumn), cli(["tasks", "preview", task.id, "--count", "3", "-o", "json"])]);

    const rows = succeeded(table).trimEnd().split("\n");
    expect(rows[0]).toMatch(/^TIME \(UTC\)\s+LOCAL TIME\s+ZONE\s+DST\s+RUNS\s+NOTE$/);
    expect(rows).toHaveLength(5);
    expect(rows[3]).toMatch(/^2026-03-29T01:00:00Z\s+2026-03-29T02:30:00\s+Europe\/Berlin\s+missing time\s+yes\s+02:30 does not exist/);
    expect(rows.filter((r) => r.includes("missing time"))).toHaveLength(1);
    const fires = parsed<{ time: string; dstEffect?: string }[]>(json);
    expect(fires.map((f) => f.dstEffect ?? "")).toEqual(["", "", "DST_EFFECT_MISSING_TIME", ""]);
    expect(succeeded(repeated)).toMatch(/repeated time, first/);
    expect(repeated.stdout).toMatch(/repeated time, second/);
    const taskFires = parsed<{ localTime: string; timeZone: string }[]>(ofTask);
    expect(taskFires).toHaveLength(3);
    expect(taskFires.every((f) => f.timeZone === "America/New_York" && /T09:00:00-0[45]:00$/.test(f.localTime))).toBe(true);
  });

  it("backfills a past day of a minutely task in parts, once: again adds nothing; no progress bar off a terminal", async () => {
    const task = (await admin.createTask({ type: "cli.backfill", queue: "backfill", schedule: schedules.every(60_000) })).task!;
    const to = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);
    const from = new Date(to.getTime() - 86_400_000);
    const range = ["--from", from.toISOString(), "--to", to.toISOString()];
    const first = await cli(["tasks", "backfill", task.id, ...range, "-o", "json"]);
    // 1,441 fire times: more than one part of 1,000.
    expect(parsed<object>(first)).toEqual({ fireTimes: 1441, created: 1441 });
    const second = await cli(["tasks", "backfill", task.id, ...range]);
    expect(succeeded(second)).toMatch(/: 1441 fire times, 0 runs created, 0 skipped runs reopened, 1441 already had a run\n$/);
    expect(second.stderr).toBe("");
    // Every page of runs (1,000 at a time), with --limit 0.
    const runs = parsed<RunJson[]>(await cli(["runs", "list", "--task", task.id, "--limit", "0", "-o", "json"]));
    expect(runs.filter((r) => r.trigger === "RUN_TRIGGER_BACKFILL")).toHaveLength(1441);
    // A range reaching into the future is refused whole, before any part is written.
    const future = await cli(["tasks", "backfill", task.id, "--from", new Date(from.getTime() - 86_400_000).toISOString(), "--to", new Date(Date.now() + 3_600_000).toISOString()]);
    expect([future.code, future.stderr]).toEqual([2, expect.stringContaining("--to is in the future")]);
    const after = parsed<RunJson[]>(await cli(["runs", "list", "--task", task.id, "--limit", "0", "-o", "json"]));
    expect(after.filter((r) => r.trigger === "RUN_TRIGGER_BACKFILL")).toHaveLength(1441);
  });

  it("backfills a range across a DST change in parts that count the fires DST skips, and finds its runs by scheduled time", async () => {
    // On 2026-10-25 Europe/Berlin goes back from 03:00 to 02:00: run-once-last skips the first
    // 02:00-02:59 (00:00Z-00:59Z), 60 fires a preview counts but that get no run.
    const task = await createTask(["--type", "cli.dst-backfill", "--queue", "dst-backfill", "--cron", "* * * * *", "--tz", "Europe/Berlin", "--on-repeated-time", "run-once-last"]);
    const backfill = await cli(["tasks", "backfill", task.id, "--from", "2026-10-24T00:00Z", "--to", "2026-11-01T00:00Z", "-o", "json"]);
    // Eight days of minutes and the last one, less the 60 skipped: more than one call takes (10,000).
    expect(parsed<object>(backfill)).toEqual({ fireTimes: 11_461, created: 11_461 });

    const scheduled = async (from: string, to: string) =>
      parsed<RunJson[]>(await cli(["runs", "list", "--task", task.id, "--scheduled-from", from, "--scheduled-to", to, "--limit", "0", "-o", "json"]));
    const [firstPass, secondPass, lastMinute] = await Promise.all([
      scheduled("2026-10-25T02:00:00+02:00", "2026-10-25T02:59:59+02:00"),
      scheduled("2026-10-25T02:00:00+01:00", "2026-10-25T02:59:59+01:00"),
      scheduled("2026-11-01T00:00Z", "2026-11-01T00:00Z"),
    ]);
    expect(firstPass).toEqual([]);
    expect(secondPass).toHaveLength(60);
    expect(new Set(secondPass.map((r) => r.scheduledTime)).size).toBe(60);
    expect(secondPass.every((r) => r.trigger === "RUN_TRIGGER_BACKFILL" && r.scheduledTime!.startsWith("2026-10-25T01:"))).toBe(true);
    expect(lastMinute).toEqual([expect.objectContaining({ trigger: "RUN_TRIGGER_BACKFILL", scheduledTime: "2026-11-01T00:00:00Z" })]);
  });

  it("lists runs with why the skipped ones did not run, between scheduled times", async () => {
    const task = (await admin.createTask({ type: "cli.reasons", queue: "idle", schedule: schedules.every(3_600_000) })).task!;
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const hoursAgo = (n: number) => new Date(hour - n * 3_600_000).toISOString();
    // Three past fires due at once with overlap skip: one waits in the queue (no worker takes "idle"),
    // so the other two are SKIPPED.
    succeeded(await cli(["tasks", "backfill", task.id, "--from", hoursAgo(3), "--to", hoursAgo(1), "--overlap", "skip"]));
    await eventually(() => admin.runs({ taskId: task.id, state: RunState.SKIPPED }), (page) => page.runs.length === 2);

    const [table, oneHour, none] = await Promise.all([
      cli(["runs", "list", "--task", task.id, "--scheduled-to", hoursAgo(1)]),
      cli(["runs", "list", "--task", task.id, "--scheduled-from", hoursAgo(2), "--scheduled-to", hoursAgo(2), "-o", "json"]),
      cli(["runs", "list", "--task", task.id, "--scheduled-from", hoursAgo(5), "--scheduled-to", hoursAgo(4)]),
    ]);
    // The live run, scheduled within the next hour, is after --scheduled-to.
    const rows = succeeded(table).trimEnd().split("\n");
    expect(rows[0]).toMatch(/^ID\s+TASK\s+TYPE\s+STATE\s+TRIGGER\s+ATTEMPT\s+SCHEDULED \(UTC\)\s+ENDED \(UTC\)\s+REASON$/);
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => /\sSKIPPED\s.*\sthe previous run was still running \(overlap policy SKIP\)$/.test(r))).toHaveLength(2);
    expect(rows.filter((r) => /\s-$/.test(r))).toHaveLength(1);
    const [run] = parsed<RunJson[]>(oneHour);
    expect(parsed<RunJson[]>(oneHour)).toHaveLength(1);
    expect(run!.scheduledTime).toBe(hoursAgo(2).replace(".000Z", "Z"));
    expect(succeeded(none)).toBe("");
    expect(none.stderr).toBe("(none)\n");
  });

  it("creates many tasks from JSON Lines on stdin in batches, and names the line it cannot read", async () => {
    const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify({ type: "cli.bulk", labels: { suite: "bulk", n: String(i) }, schedule: { manual: {} } }));
    const created = parsed<TaskJson[]>(await cli(["tasks", "create", "--from-file", "-", "--batch-size", "250", "-o", "json"], { stdin: lines.join("\n") + "\n" }));
    expect(created).toHaveLength(600);
    expect(new Set(created.map((t) => t.spec.labels!.n)).size).toBe(600);
    const { tasks } = await admin.list({ labels: { suite: "bulk" }, pageSize: 1000 });
    expect(tasks).toHaveLength(600);

    failed(await cli(["tasks", "create", "--from-file", "-"], { stdin: `${lines[0]}\n{"type": 7}\n` }), 2, /^taskplane: --from-file -, line 2: /);
  });

  it("exits with a distinct code and one line for each kind of failure", async () => {
    const task = (await admin.createTask({ type: "cli.guarded", schedule: schedules.manual() })).task!;
    const missing = "5f0e8c1a-58a4-4f4e-9a43-2d1f0b6f1c11";
    const closed = await freePort();
    const [notFound, noToken, viewer, invalid, unavailable] = await Promise.all([
      cli(["tasks", "get", missing]),
      cli(["tasks", "list"], { token: null }),
      cli(["tasks", "trigger", task.id], { token: tokens.viewer }),
      cli(["tasks", "get", "not-a-uuid"]),
      cli(["tasks", "list", "--server", `http://127.0.0.1:${closed}`]),
    ]);
    failed(notFound, 3, new RegExp(`^taskplane: not found: task ${missing} not found\\n$`));
    failed(noToken, 4, /^taskplane: unauthenticated: .*--token or set TASKPLANE_TOKEN/);
    failed(viewer, 5, /^taskplane: permission denied: /);
    failed(invalid, 6, /^taskplane: invalid argument: .*task_id/);
    failed(unavailable, 8, /^taskplane: unavailable: .*ECONNREFUSED/);
    // The viewer may read.
    expect(parsed<TaskJson>(await cli(["tasks", "get", task.id, "-o", "json"], { token: tokens.viewer })).id).toBe(task.id);

    const usage = await Promise.all([
      cli(["tasks", "list", "--bogus"]),
      cli(["tasks", "get"]),
      cli(["tasks", "list", "-o", "yaml"]),
      cli(["tasks", "create", "--type", "x", "--cron", "* * * * *", "--at", "2030-01-01T00:00:00Z"]),
      cli(["tasks", "create", "--type", "x", "--in", "soon"]),
      cli(["tasks", "create", "--type", "x", "--every", "1m", "--jitter", "-5s"]),
      cli(["runs", "list", "--scheduled-from", "2026-03-29T03:00Z", "--scheduled-to", "2026-03-29T02:00Z"]),
    ]);
    const lines = [
      /unknown option '--bogus'/,
      /missing required argument 'task-id'/,
      /argument 'yaml' is invalid/,
      /--cron and --at were both given/,
      /--in: "soon" is not a duration/,
      /--jitter: "-5s" is negative; a duration must not be negative/,
      /--scheduled-to is before --scheduled-from/,
    ];
    usage.forEach((r, i) => failed(r, 2, lines[i]!));
  });

  it("lists audit events of the changes made and of refusals, with filters", async () => {
    const task = (await admin.createTask({ type: "cli.audited", schedule: schedules.every(3_600_000) })).task!;
    succeeded(await cli(["tasks", "pause", task.id]));
    failed(await cli(["tasks", "resume", task.id], { token: tokens.viewer }), 5, /permission denied/);
    const [changes, refusals, table] = await Promise.all([
      cli(["audit", "list", "--target", task.id, "-o", "json"]),
      cli(["audit", "list", "--target", task.id, "--refused", "-o", "json"]),
      cli(["audit", "list", "--target", task.id]),
    ]);
    type Event = { action: string; principal: string; result: string };
    const events = parsed<Event[]>(changes);
    expect(events.map((e) => [e.action, e.principal, e.result])).toEqual([
      ["ResumeTask", "cli-viewer", "PermissionDenied"],
      ["PauseTask", "cli-admin", "ok"],
      ["CreateTask", "cli-admin", "ok"],
    ]);
    expect(parsed<Event[]>(refusals).map((e) => e.action)).toEqual(["ResumeTask"]);
    const rows = succeeded(table).trimEnd().split("\n");
    expect(rows[0]).toMatch(/^SEQ\s+TIME \(UTC\)\s+PRINCIPAL\s+NAMESPACE\s+ACTION\s+TARGET\s+RESULT\s+DETAIL$/);
    expect(rows[2]).toMatch(new RegExp(`^\\d+\\s+\\S+Z\\s+cli-admin\\s+default\\s+PauseTask\\s+${task.id}\\s+ok\\s+-$`));
    // Audit is for admins.
    failed(await cli(["audit", "list"], { token: tokens.viewer }), 5, /permission denied/);
  });

  describe("over TLS", () => {
    let certs: TestCertificates;
    let secure: TestControlPlane;
    let caFile: string;

    beforeAll(async () => {
      certs = await makeCertificates();
      caFile = path.join(dir, "ca.pem");
      await writeFile(caFile, certs.ca);
      secure = await startTestControlPlane({}, { config: { auth: keys.settings, tls: { cert: certs.serverCert, key: certs.serverKey } }, clientTls: { ca: certs.ca } });
    });
    afterAll(async () => {
      await secure?.stop();
      await certs?.remove();
    });

    it("reaches an https server with --ca or TASKPLANE_TLS_CA, and fails in one line without it", async () => {
      const server = ["--server", secure.address];
      const [withFlag, withEnv, without] = await Promise.all([
        cli(["tasks", "list", ...server, "--ca", caFile, "-o", "json"]),
        cli(["tasks", "list", ...server, "-o", "json"], { env: { TASKPLANE_TLS_CA: caFile } }),
        cli(["tasks", "list", ...server]),
      ]);
      expect(secure.address).toMatch(/^https:/);
      expect(parsed<object[]>(withFlag)).toEqual([]);
      expect(parsed<object[]>(withEnv)).toEqual([]);
      expect(without.code).not.toBe(0);
      expect(without.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(without.stderr).toMatch(/certificate/i);
    });
  });
});
