// The callbacks example end to end: a control plane, the quickstart worker, and the example's
// receiver, which verifies each signed event and keeps it once.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebhookEvent } from "@taskplane/sdk";
import { DEFAULT_CALLBACK_SETTINGS } from "../../controlplane/src/callbacks/callback-settings.js";
import { eventually, startTestControlPlane, type TestControlPlane } from "../../controlplane/test/harness/control-plane.js";
import { handlers } from "../quickstart/handlers.js";
import { startReceiver } from "./receiver.js";
import { submitWithCallback } from "./submit-with-callback.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("callbacks example", () => {
  let tp: TestControlPlane;
  const events: WebhookEvent[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver(SECRET, (e) => events.push(e));
    // As `taskplane dev` does: a server secret, and loopback allowed.
    tp = await startTestControlPlane({}, { config: { callbacks: { ...DEFAULT_CALLBACK_SETTINGS, secrets: [SECRET], allowedNetworks: ["127.0.0.0/8"], pollIntervalMs: 50 } } });
    tp.worker({ handlers });
  });
  afterAll(async () => {
    await tp.stop();
    receiver.close();
  });

  it("hears that one run succeeded with its output and the other failed with its error", async () => {
    const { succeedingRun, failingRun } = await submitWithCallback(tp.client, receiver.url);
    await eventually(async () => events.length, (n) => n === 2);
    const byRun = new Map(events.map((e) => [e.data.runId, e]));
    expect(byRun.get(succeedingRun.id)).toMatchObject({ type: "run.succeeded", data: { output: { json: { greeting: "Hello, callbacks!" } } } });
    expect(byRun.get(failingRun.id)).toMatchObject({ type: "run.failed", data: { error: { type: "ValidationError", nonRetryable: true } } });
  });

  it("refuses a POST that is not signed with its secret", async () => {
    const res = await fetch(receiver.url, { method: "POST", body: "{}", headers: { "webhook-id": "msg_x", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": "v1,AAAA" } });
    expect(res.status).toBe(401);
  });
});
