import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { verifyWebhook, WebhookSignatureError } from "./verify-webhook.js";

const OLD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NEW = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const body = JSON.stringify({ type: "run.succeeded", timestamp: "2026-12-01T10:00:00.000Z", data: { runId: "r1" } });

function signed(secrets: string[], at = new Date(), payload = body) {
  return {
    "webhook-id": "msg_1",
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((s) => new Webhook(s).sign("msg_1", at, payload)).join(" "),
  };
}

describe("verifyWebhook", () => {
  it("returns the event when the signature and timestamp check out", () => {
    expect(verifyWebhook(OLD, signed([OLD]), body).data.runId).toBe("r1");
  });

  it("accepts Fetch-style headers, headers in any case, and bytes", () => {
    expect(verifyWebhook(OLD, new Headers(signed([OLD])), Buffer.from(body)).type).toBe("run.succeeded");
    const titleCase = Object.fromEntries(Object.entries(signed([OLD])).map(([k, v]) => [k.replace(/(^|-)w/g, (m) => m.toUpperCase()), v]));
    expect(verifyWebhook(OLD, titleCase, new TextEncoder().encode(body)).data.runId).toBe("r1");
  });

  it("refuses a changed body, a wrong secret and a missing signature", () => {
    expect(() => verifyWebhook(OLD, signed([OLD]), body.replace("r1", "r2"))).toThrow(WebhookSignatureError);
    expect(() => verifyWebhook(NEW, signed([OLD]), body)).toThrow(WebhookSignatureError);
    expect(() => verifyWebhook(OLD, { ...signed([OLD]), "webhook-signature": "" }, body)).toThrow(WebhookSignatureError);
  });

  it("refuses timestamps more than 5 minutes off, either way", () => {
    const now = Date.now();
    expect(() => verifyWebhook(OLD, signed([OLD], new Date(now - 6 * 60_000)), body)).toThrow(/timestamp/i);
    expect(() => verifyWebhook(OLD, signed([OLD], new Date(now + 6 * 60_000)), body)).toThrow(/timestamp/i);
    expect(verifyWebhook(OLD, signed([OLD], new Date(now - 4 * 60_000)), body).data.runId).toBe("r1");
  });

  it("verifies across a rotation: two signatures, or two secrets on the receiver", () => {
    const both = signed([NEW, OLD]);
    expect(verifyWebhook(OLD, both, body).data.runId).toBe("r1");
    expect(verifyWebhook(NEW, both, body).data.runId).toBe("r1");
    expect(verifyWebhook([NEW, OLD], signed([OLD]), body).data.runId).toBe("r1");
  });
});
