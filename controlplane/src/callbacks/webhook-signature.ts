// Standard Webhooks headers, shared by callbacks and webhook notifications.
import { Webhook } from "standardwebhooks";

/** One signature per secret, so receivers on either side of a rotation verify. */
export function signatureHeaders(id: string, body: string, secrets: string[], at: Date): Record<string, string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((s) => new Webhook(s).sign(id, at, body)).join(" "),
  };
}
