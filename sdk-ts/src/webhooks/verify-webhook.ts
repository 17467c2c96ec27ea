// Receivers check that a callback came from Taskplane, unaltered and recently (Standard Webhooks).
import { Webhook, WebhookVerificationError } from "standardwebhooks";

/** A callback whose signature or timestamp does not check out: answer 401 and drop it. */
export class WebhookSignatureError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WebhookSignatureError";
  }
}

type Headers = Record<string, string | string[] | undefined> | { get(name: string): string | null };

/**
 * Verifies a callback's `webhook-signature` against the secret (or secrets, during a rotation),
 * in constant time, and refuses a `webhook-timestamp` more than 5 minutes off. Returns the parsed
 * event; throws WebhookSignatureError. Pass the body exactly as received, before any JSON parsing.
 *
 * @example
 * app.post("/hooks/taskplane", express.raw({ type: "application/json" }), (req, res) => {
 *   const event = verifyWebhook(process.env.TASKPLANE_WEBHOOK_SECRET!, req.headers, req.body);
 *   // deduplicate on req.headers["webhook-id"]: retries carry the same id
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook(secret: string | string[], headers: Headers, body: string | Uint8Array): WebhookEvent {
  const payload = typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const picked = {
    "webhook-id": header(headers, "webhook-id"),
    "webhook-timestamp": header(headers, "webhook-timestamp"),
    "webhook-signature": header(headers, "webhook-signature"),
  };
  let lastError: unknown;
  for (const s of Array.isArray(secret) ? secret : [secret]) {
    try {
      return new Webhook(s).verify(payload, picked) as WebhookEvent;
    } catch (e) {
      if (!(e instanceof WebhookVerificationError)) throw e;
      lastError = e;
    }
  }
  throw new WebhookSignatureError(`webhook not verified: ${(lastError as Error | undefined)?.message ?? "no secret given"}`, { cause: lastError });
}

/** A header by name, whatever its case in a plain object (Node lowercases them; other frameworks may not). */
function header(headers: Headers, name: string): string {
  if (typeof headers.get === "function") return (headers as { get(name: string): string | null }).get(name) ?? "";
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
  const value = entry?.[1] as string | string[] | undefined;
  return (Array.isArray(value) ? value[0] : value) ?? "";
}

/** What a callback POSTs. */
export interface WebhookEvent {
  /** run.succeeded, run.failed, run.cancelled or attempt.failed. */
  type: string;
  timestamp: string;
  data: {
    taskId: string;
    taskType: string;
    queue: string;
    labels: Record<string, string>;
    runId: string;
    trigger: string;
    scheduledTime: string;
    attempt: number;
    maxAttempts: number;
    /** The run's state when the event happened (RETRYING for an attempt that will be retried). */
    state: string;
    willRetry: boolean;
    startTime?: string;
    endTime?: string;
    durationMs?: number;
    output?: { contentType: string; data: string; json?: unknown };
    error?: { type: string; message: string; nonRetryable: boolean };
    reason?: string;
    traceId?: string;
  };
}
