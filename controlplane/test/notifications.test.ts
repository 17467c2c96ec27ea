// Notifications over real channels: email to a real SMTP server, Slack-style and signed webhook
// posts to a local receiver; grouped per window; refused when they could never be sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, json, NonRetryableError, NotificationEvent, RunState, verifyWebhook } from "@taskplane/sdk";
import { DEFAULT_CALLBACK_SETTINGS } from "../src/callbacks/callback-settings.js";
import { DEFAULT_NOTIFICATION_SETTINGS } from "../src/notifications/notification-settings.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { codeOf } from "./harness/error-code.js";
import { startSmtpSink, type SmtpSink } from "./harness/smtp-sink.js";
import { startWebhookReceiver, type WebhookReceiver } from "./harness/webhook-receiver.js";

const SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const seconds = (s: number) => ({ seconds: BigInt(Math.floor(s)), nanos: Math.round((s % 1) * 1e9) });
/** Events listed in a message's text, one "• " line each. */
const listed = (text: string) => text.split("\n").filter((l) => l.startsWith("• ")).length;

describe("notifications", () => {
  let tp: TestControlPlane;
  let rx: WebhookReceiver;
  let smtp: SmtpSink;
  const slack = (path: string) => ({ case: "slack" as const, value: { webhookUrl: rx.url(path) } });
  const posts = (path: string) => rx.received.filter((r) => r.path === path);

  beforeAll(async () => {
    rx = await startWebhookReceiver("127.0.0.2");
    smtp = await startSmtpSink();
    tp = await startTestControlPlane({}, {
      config: {
        callbacks: { ...DEFAULT_CALLBACK_SETTINGS, secrets: [SECRET], allowedNetworks: ["127.0.0.2/32"] },
        notifications: { ...DEFAULT_NOTIFICATION_SETTINGS, smtpUrl: smtp.url, emailFrom: "taskplane@test.local", publicUrl: "https://taskplane.test", pollIntervalMs: 100 },
      },
    });
    const handlers = {
      ok: async () => "fine",
      fail: async () => {
        throw new NonRetryableError("nope", "Broken");
      },
      flaky: async () => {
        throw new Error("try again");
      },
    };
    for (const queue of ["default", "noisy", "bumpy"]) tp.worker({ queue, handlers, concurrency: 20 });
  });
  afterAll(async () => {
    await tp.stop();
    await rx.close();
    await smtp.close();
  });

  it("emails when a task's run fails with no retries left, with the error and a link to the run", async () => {
    const { task } = await tp.client.createTask({ type: "flaky", schedule: { kind: { case: "manual", value: {} } }, retryPolicy: { maxAttempts: 2, initialBackoff: seconds(0.05) } });
    await tp.client.createNotificationRule({
      scope: { case: "taskId", value: task!.id },
      events: [NotificationEvent.RETRIES_EXHAUSTED],
      channel: { case: "email", value: { to: ["oncall@example.com"] } },
    });
    const run = await tp.client.trigger(task!.id);
    const [mail] = await eventually(async () => smtp.received.filter((m) => m.text?.includes(run.id)), (m) => m.length === 1);
    expect(mail!.subject).toBe("[Taskplane] flaky failed with no retries left");
    expect(mail!.to && "text" in mail!.to ? mail!.to.text : "").toBe("oncall@example.com");
    expect(mail!.from?.text).toBe("taskplane@test.local");
    expect(mail!.text).toContain("attempt 2 failed with no retries left: try again");
    expect(mail!.text).toContain(`https://taskplane.test/ui/runs/${run.id}`);
  });

  it("groups a queue's failures: the first at once, the rest of the window as one summary", async () => {
    await tp.client.createNotificationRule({
      scope: { case: "queue", value: "noisy" },
      events: [NotificationEvent.ATTEMPT_FAILED],
      channel: slack("/noisy"),
      groupWindow: seconds(2),
    });
    const first = await tp.client.createTask({ type: "fail", queue: "noisy" });
    await eventually(async () => posts("/noisy").length, (n) => n === 1);
    await tp.client.createTasks(Array.from({ length: 9 }, () => ({ type: "fail", queue: "noisy" })));
    const sent = await eventually(async () => posts("/noisy"), (p) => p.reduce((n, r) => n + listed(JSON.parse(r.body).text), 0) === 10);
    expect(sent).toHaveLength(2);
    const [one, summary] = sent.map((r) => JSON.parse(r.body).text as string);
    expect(one).toContain(first.firstRun!.id);
    expect(summary).toMatch(/^\[Taskplane\] 9 events on queue noisy \(9 attempt failed\)/);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(1_900);
  });

  it("posts a signed webhook when a run succeeds, and says when a run started late", async () => {
    const { task } = await tp.client.createTask({ type: "ok", schedule: { kind: { case: "manual", value: {} } } });
    await tp.client.createNotificationRule({ scope: { case: "taskId", value: task!.id }, events: [NotificationEvent.RUN_SUCCEEDED], channel: { case: "webhook", value: { url: rx.url("/hook") } } });
    const run = await tp.client.trigger(task!.id, json({}));
    const [post] = await eventually(async () => posts("/hook"), (p) => p.length === 1);
    const message = verifyWebhook(SECRET, post!.headers as Record<string, string>, post!.body) as unknown as { type: string; total: number; events: { runId: string; event: string }[] };
    expect(message).toMatchObject({ type: "notification", total: 1, events: [{ runId: run.id, event: "RUN_SUCCEEDED" }] });

    await tp.client.createNotificationRule({ scope: { case: "queue", value: "late" }, events: [NotificationEvent.RUN_LATE], lateAfter: seconds(0.3), channel: slack("/late") });
    const { firstRun } = await tp.client.createTask({ type: "ok", queue: "late" });
    // No worker polls this queue until the run is well past due.
    const due = Number(firstRun!.scheduledTime!.seconds) * 1000 + firstRun!.scheduledTime!.nanos / 1e6;
    await eventually(async () => Date.now(), (now) => now > due + 600);
    tp.worker({ queue: "late", handlers: { ok: async () => "fine" } });
    const [late] = await eventually(async () => posts("/late"), (p) => p.length === 1);
    expect(JSON.parse(late!.body).text).toMatch(new RegExp(`${firstRun!.id} attempt 1 started late: started \\d+ ms after it was due`));
    expect((await tp.client.getRun(firstRun!.id)).state).not.toBe(RunState.QUEUED);
  });

  it("keeps events through a failing channel and sends them in the next window", async () => {
    rx.answer("/flaky-slack", { status: 500 }, { status: 200 });
    const rule = await tp.client.createNotificationRule({ scope: { case: "queue", value: "bumpy" }, events: [NotificationEvent.ATTEMPT_FAILED], channel: slack("/flaky-slack"), groupWindow: seconds(1) });
    const { firstRun } = await tp.client.createTask({ type: "fail", queue: "bumpy" });
    const [failedSend] = await eventually(() => tp.client.notificationRules({ queue: "bumpy" }), (r) => r[0]?.lastError !== "");
    expect(failedSend!.lastError).toContain("500");
    const delivered = await eventually(async () => posts("/flaky-slack"), (p) => p.length === 2);
    expect(JSON.parse(delivered[1]!.body).text).toContain(firstRun!.id);
    await eventually(() => tp.client.notificationRules({ queue: "bumpy" }), (r) => r[0]?.lastError === "");
    await tp.client.deleteNotificationRule(rule.id);
    expect(await tp.client.notificationRules({ queue: "bumpy" })).toEqual([]);
    expect(await codeOf(tp.client.deleteNotificationRule(rule.id))).toBe(Code.NotFound);
  });

  it("refuses rules that could never be sent, with the right codes", async () => {
    const rule = (over: object) => tp.client.createNotificationRule({ scope: { case: "queue", value: "q" }, events: [NotificationEvent.RUN_SUCCEEDED], channel: slack("/x"), ...over });
    expect(await codeOf(rule({ channel: { case: "slack", value: { webhookUrl: "http://10.0.0.1/hook" } } }))).toBe(Code.InvalidArgument);
    expect(await codeOf(rule({ channel: { case: "email", value: { to: ["not an address"] } } }))).toBe(Code.InvalidArgument);
    expect(await codeOf(rule({ events: [] }))).toBe(Code.InvalidArgument);
    expect(await codeOf(rule({ channel: undefined }))).toBe(Code.InvalidArgument);
    expect(await codeOf(rule({ scope: { case: "taskId", value: "00000000-0000-4000-8000-000000000000" } }))).toBe(Code.NotFound);
    const noSmtp = await startTestControlPlane({}, { databaseUrl: tp.databaseUrl });
    try {
      expect(await codeOf(noSmtp.client.createNotificationRule({ scope: { case: "queue", value: "q" }, events: [NotificationEvent.RUN_SUCCEEDED], channel: { case: "email", value: { to: ["a@example.com"] } } }))).toBe(Code.FailedPrecondition);
    } finally {
      await noSmtp.stop();
    }
  });
});
