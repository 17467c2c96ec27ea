// The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
// control plane with authentication on real Postgres: tasks made through the API show up, a run
// triggered from the page succeeds on a real SDK worker, pausing changes the task, and the
// overview, workers and audit pages show what happened. TASKPLANE_SCREENSHOTS=1 also saves a
// screenshot of each page to docs/dashboard/.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NonRetryableError, Priority, RunState, schedules, TaskplaneClient, TaskState } from "@taskplane/sdk";
import { loadLocalKeys, mintToken, type LocalKeys } from "../../controlplane/src/auth/local-keys.js";
import type { Role } from "../../controlplane/src/auth/principal.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "../../controlplane/test/harness/control-plane.js";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = process.env.TASKPLANE_SCREENSHOTS ? fileURLToPath(new URL("../../docs/dashboard/", import.meta.url)) : undefined;
const noRetry = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };

describe("dashboard in a browser", () => {
  let dir: string;
  let keys: LocalKeys;
  let tp: TestControlPlane;
  let admin: TaskplaneClient;
  let adminToken: string;
  let viewerToken: string;
  let context: BrowserContext;
  let page: Page;
  let reportTaskId: string;
  let failTaskId: string;
  const problems: string[] = [];
  // Holds the slow handler mid-run until the test has seen its first log line.
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));

  const tokenFor = (subject: string, roles: Role[]) => mintToken(keys, { subject, roles, namespaces: ["*"], queues: ["*"], ttlSeconds: 600 });
  const shoot = async (name: string) => {
    if (SCREENSHOTS) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  const text = async (selector: string) => (await page.locator(selector).first().textContent()) ?? "";

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-ui-e2e-"));
    keys = await loadLocalKeys(dir);
    tp = await startTestControlPlane({}, { config: { auth: keys.settings } });
    [adminToken, viewerToken] = await Promise.all([tokenFor("ops-admin", ["admin"]), tokenFor("read-only", ["viewer"])]);
    admin = new TaskplaneClient({ address: tp.address, token: adminToken, retry: noRetry });
    if (SCREENSHOTS) await mkdir(SCREENSHOTS, { recursive: true });
    // A fresh profile each run: no token or cache left over from another.
    context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1366, height: 900 },
      timezoneId: "Europe/Berlin",
      locale: "en-GB",
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => m.text().includes("Content Security Policy") && problems.push(`CSP: ${m.text()}`));
  });

  afterAll(async () => {
    release();
    await context?.close();
    await tp?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("asks for a token and says plainly when the server refuses one", async () => {
    await page.goto(`${tp.address}/ui/`);
    await page.getByRole("heading", { name: "Sign in with a token" }).waitFor();
    await shoot("sign-in");
    await page.getByLabel("Token").fill("not-a-real-token");
    await page.getByRole("button", { name: "Use this token" }).click();
    const alert = page.getByRole("alert").first();
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/UNAUTHENTICATED.*npx taskplane token/);
  });

  it("takes a token from #token= once and strips it from the address bar", async () => {
    await page.goto(`${tp.address}/ui/#token=${adminToken}`);
    await page.getByText("ops-admin (admin)").waitFor();
    expect(page.url()).toBe(`${tp.address}/ui/`);
    expect(await page.evaluate("localStorage.getItem('taskplane.token')")).toBe(adminToken);
    await page.getByRole("heading", { name: "Runs by state" }).waitFor();
  });

  it("lists tasks made through the API, refreshes by itself, filters, and opens one by id", async () => {
    const report = await admin.createTask({ type: "e2e.report", queue: "e2e", labels: { team: "reports" }, schedule: schedules.cron("0 9 * * MON-FRI", "Europe/Berlin") });
    reportTaskId = report.task!.id;
    await page.getByRole("link", { name: "Tasks", exact: true }).click();
    await page.locator(`[data-task-id="${reportTaskId}"]`).waitFor();

    // Made after the page loaded: it appears without a reload.
    const fail = await admin.createTask({ type: "e2e.fail", queue: "e2e", schedule: schedules.manual(), retryPolicy: { maxAttempts: 1 } });
    failTaskId = fail.task!.id;
    await page.locator(`[data-task-id="${failTaskId}"]`).waitFor();
    expect(await text(`[data-task-id="${reportTaskId}"]`)).toContain("At 09:00, Monday through Friday (Europe/Berlin)");
    await shoot("tasks");

    await page.getByLabel("Label").fill("team=reports");
    await page.getByLabel("Label").press("Enter");
    // New filters start from an empty list: wait for the filtered one.
    await eventually(() => page.locator("[data-task-id]").count(), (n) => n === 1);
    expect(await page.locator(`[data-task-id="${reportTaskId}"]`).count()).toBe(1);
    expect(page.url()).toContain("label=team%3Dreports");
    await page.getByLabel("State").selectOption({ label: "PAUSED" });
    await page.getByText("No task matches these filters").waitFor();

    await page.getByLabel("Open task by id").fill("not-an-id");
    await page.getByLabel("Open task by id").press("Enter");
    await page.getByText("A task id is a UUID").waitFor();
    await page.getByLabel("Open task by id").fill(reportTaskId);
    await page.getByLabel("Open task by id").press("Enter");
    expect(await text('[data-testid="schedule-words"]')).toBe("At 09:00, Monday through Friday (Europe/Berlin)");
    expect(await page.locator('[data-testid="fire-times"] tbody tr').count()).toBe(10);
    expect(page.url()).toBe(`${tp.address}/ui/tasks/${reportTaskId}`);
  });

  it("triggers the task with confirmation, follows the run to SUCCEEDED on a worker, and pauses the task", async () => {
    tp.worker({
      token: await tokenFor("e2e-worker", ["worker"]),
      workerId: "e2e-worker-1",
      queue: "e2e",
      handlers: {
        "e2e.report": async (_payload, ctx) => {
          ctx.log("building the report");
          return { pages: 3 };
        },
        "e2e.slow": async (_payload, ctx) => {
          ctx.log("step 1 of 2");
          await released;
          ctx.log("step 2 of 2");
        },
        "e2e.fail": async () => {
          throw new NonRetryableError("the printer is on fire", "PrinterError");
        },
      },
    });
    await page.getByRole("button", { name: "Trigger" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText("Trigger this task now?").waitFor();
    // The confirm button has the focus: Enter confirms.
    expect(await page.evaluate("document.activeElement.textContent")).toBe("Trigger");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "hidden" });

    await page.getByTestId("run-state").getByText("SUCCEEDED").waitFor({ timeout: 20_000 });
    expect(page.url()).toMatch(new RegExp(`/ui/tasks/${reportTaskId}\\?run=[0-9a-f-]{36}$`));
    const runId = new URL(page.url()).searchParams.get("run")!;
    expect((await admin.getRun(runId)).state).toBe(RunState.SUCCEEDED);
    expect(await text('[data-testid="run-output"]')).toContain('"pages": 3');
    await page.getByTestId("run-logs").getByText("building the report").waitFor();
    expect(await text('[data-testid="run-panel"] table')).toContain("e2e-worker-1");
    await page.locator(`[data-run-id="${runId}"]`).getByText("SUCCEEDED").waitFor();
    await shoot("task");

    // Escape closes a dialog without doing anything.
    await page.getByRole("button", { name: "Delete" }).click();
    await dialog.getByText("Delete this task?").waitFor();
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect((await admin.get(reportTaskId)).state).toBe(TaskState.ACTIVE);

    await page.getByRole("button", { name: "Pause" }).click();
    await dialog.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("heading", { level: 1 }).getByText("PAUSED").waitFor();
    expect((await admin.get(reportTaskId)).state).toBe(TaskState.PAUSED);
    await page.getByRole("button", { name: "Resume" }).waitFor();
    expect(await page.getByRole("button", { name: "Pause" }).count()).toBe(0);
  });

  it("follows a running run's log while the handler writes it", async () => {
    const { task } = await admin.createTask({ type: "e2e.slow", queue: "e2e", schedule: schedules.manual() });
    const run = await admin.trigger(task!.id);
    await page.goto(`${tp.address}/ui/tasks/${task!.id}?run=${run.id}`);
    await page.getByTestId("run-state").getByText("RUNNING").waitFor();
    await page.getByText("following while it runs").waitFor();
    await page.getByTestId("run-logs").getByText("step 1 of 2").waitFor();
    expect(await page.getByTestId("run-logs").getByText("step 2 of 2").count()).toBe(0);
    release();
    await page.getByTestId("run-logs").getByText("step 2 of 2").waitFor();
    await page.getByTestId("run-state").getByText("SUCCEEDED").waitFor();
    expect(await page.getByText("following while it runs").count()).toBe(0);
  });

  it("shows fire times in UTC and in the schedule's zone, the due time under jitter, and what DST does", async () => {
    const { task } = await admin.createTask({
      type: "e2e.nightly",
      queue: "e2e",
      schedule: schedules.cron("30 2 * * *", "Europe/Berlin", { jitterMs: 10 * 60_000 }),
    });
    const [next] = await admin.upcomingFires(task!.id);
    const utc = (t: Timestamp | undefined) => timestampDate(t!).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
    await page.goto(`${tp.address}/ui/tasks/${task!.id}`);
    // The browser is in Berlin too: the first column is UTC, whatever the browser's zone.
    const upcoming = page.getByTestId("fire-times").first();
    await upcoming.locator("tbody tr").first().waitFor();
    const cells = await upcoming.locator("tbody tr").first().locator("td").allTextContents();
    expect(cells[0]).toMatch(new RegExp(`^${utc(next!.time)} \\(due ${utc(next!.dueTime)}, .+ later with jitter\\)$`));
    expect(cells[1]).toBe(`${next!.localTime} Europe/Berlin`);
    expect(next!.localTime).toMatch(/T02:30:00\+0[12]:00$/);

    // 02:30 does not exist on 28 March 2027 in Berlin: by default it fires at the jump, 01:00Z.
    await page.getByText("Preview fires after another date").click();
    await page.getByLabel("After (your time)").fill("2027-03-27T12:00");
    await page.getByRole("button", { name: "Preview", exact: true }).click();
    const preview = page.getByTestId("fire-times").nth(1);
    await preview.locator("tbody tr").first().waitFor();
    const dst = await preview.locator("tbody tr").first().locator("td").allTextContents();
    expect(dst[0]).toBe("2027-03-28 01:00:00 UTC");
    expect(dst[1]).toBe("2027-03-28T02:30:00 Europe/Berlin");
    expect(dst[2]).toContain("DST: local time skipped");
    expect(dst[2]).toContain("02:30 does not exist on 2027-03-28 in Europe/Berlin: clocks jump from 02:00 to 03:00");
    // A schedule's preview has no task, so no jitter and no due time.
    expect(await preview.getByTestId("due-time").count()).toBe(0);
    await admin.cancel(task!.id);
  });

  it("shows run counts, the failure, queues, workers and the leader on the overview", async () => {
    const failed = await admin.trigger(failTaskId);
    await eventually(() => admin.getRun(failed.id), (r) => r.state === RunState.FAILED);
    // No worker polls this queue: its runs wait, QUEUED, at their priorities.
    await admin.createTasks([Priority.HIGH, Priority.HIGH, Priority.LOW].map((priority) => ({ type: "e2e.later", queue: "backlog", priority })));
    await page.getByRole("link", { name: "Overview" }).click();
    await page.locator('[data-state="FAILED"] .stat-value', { hasText: /^1$/ }).waitFor();
    expect(await text('[data-state="SUCCEEDED"] .stat-value')).toBe("2");
    await page.getByText("PrinterError: the printer is on fire").waitFor();
    await page.locator('[data-testid="connected-workers"]', { hasText: /^1$/ }).waitFor();
    expect(await text('[data-testid="leader"]')).toMatch(/fencing token \d+/);
    expect(await page.locator("svg[role=img]").count()).toBe(2);
    const depths = ["default\tbacklog\tHIGH\t2\t0\t", "default\tbacklog\tLOW\t1\t0\t"];
    await eventually(() => page.getByTestId("queue-depths").locator("tbody tr").allInnerTexts(), (rows) => JSON.stringify(rows) === JSON.stringify(depths));
    await shoot("overview");
  });

  it("lists the worker with its heartbeat age and running attempts", async () => {
    await page.getByRole("link", { name: "Queues & workers" }).click();
    const row = page.locator('[data-worker-id="e2e-worker-1"]');
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    expect(cells[1]).toBe("CONNECTED");
    expect(cells[2]).toBe("default / e2e");
    expect(cells[4]).toMatch(/^\d+ (ms|s)$/);
    expect(cells[6]).toBe("0");
    await shoot("workers");
  });

  it("shows the audit trail, filtered, and a viewer's refusals in words", async () => {
    await page.getByRole("link", { name: "Audit log" }).click();
    const table = page.getByTestId("audit");
    await table.getByText("PauseTask").waitFor();
    expect(await table.textContent()).toContain("TriggerTask");
    await shoot("audit");
    await page.getByLabel("Action").fill("PauseTask");
    await page.getByLabel("Action").press("Enter");
    await page.waitForURL(/action=PauseTask/);
    await eventually(() => table.locator("tbody tr").count(), (n) => n === 1);
    const rows = await table.locator("tbody tr").allTextContents();
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatch(/ops-admin.*PauseTask.*OK/);

    // A viewer reads tasks but may not read the audit log or trigger: the page says so.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Token").fill(viewerToken);
    await page.getByRole("button", { name: "Use this token" }).click();
    await page.getByRole("alert").getByText("PERMISSION_DENIED").waitFor();
    await page.goto(`${tp.address}/ui/tasks/${failTaskId}`);
    await page.getByRole("button", { name: "Trigger" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Trigger" }).click();
    const refusal = page.getByRole("dialog").getByRole("alert");
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/Trigger failed: PERMISSION_DENIED read-only may not call TriggerTask/);
    expect((await admin.runs({ taskId: failTaskId })).runs.length).toBe(1);
    expect(problems).toEqual([]);
  });
});
