// The delivery loop every replica runs: claim due deliveries from the Postgres outbox, sign and
// POST each, record the attempt and what follows it. At least once: a replica dying mid-send
// leaves its claim to expire and another replica sends again, with the same webhook-id.
import type { Logger } from "pino";
import type { Clock } from "../domain/clock.js";
import type { DueDelivery, Store } from "../store/store.js";
import type { Metrics } from "../telemetry/metrics.js";
import { activeTraceparent, inRunSpan } from "../telemetry/tracing.js";
import { AddressGuard, RefusedAddressError } from "./address-guard.js";
import { callbackEventBody, EVENT_TYPES } from "./callback-event.js";
import { signingSecrets, type CallbackSettings } from "./callback-settings.js";
import { deliveryOutcome, type PostResult } from "./delivery-outcome.js";
import { postWebhook } from "./webhook-post.js";
import { signatureHeaders } from "./webhook-signature.js";

export interface CallbackDeliveryDeps {
  store: Store;
  clock: Clock;
  guard: AddressGuard;
  logger: Logger;
  metrics: Metrics;
}

export class CallbackDelivery {
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(
    private readonly deps: CallbackDeliveryDeps,
    private readonly settings: CallbackSettings,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.claimLoop();
  }

  /** Stops claiming and waits for the POSTs in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  private async claimLoop(): Promise<void> {
    // Resolving the host and the POST each have the timeout; the lease outlasts both.
    const leaseMs = 2 * this.settings.timeoutMs + 5_000;
    while (this.running) {
      const free = this.settings.concurrency - this.inFlight.size;
      let claimed: DueDelivery[] = [];
      if (free > 0) {
        claimed = await this.deps.store
          .claimDueDeliveries(this.deps.clock.now(), free, leaseMs, this.settings.maxAgeMs)
          .catch((err) => (this.deps.logger.warn({ err }, "claiming callback deliveries failed"), []));
      }
      for (const due of claimed) this.track(this.deliver(due));
      // A full claim means more may be waiting: look again at once, once a slot frees up.
      if (claimed.length === 0 || claimed.length < free) await this.sleep(this.settings.pollIntervalMs);
      else if (this.inFlight.size >= this.settings.concurrency) await Promise.race(this.inFlight);
    }
  }

  private track(p: Promise<void>) {
    const tracked = p.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => (clearTimeout(timer), resolve());
    });
  }

  private async deliver(due: DueDelivery): Promise<void> {
    const { delivery, run } = due;
    const body = due.body ?? callbackEventBody(due);
    const attributes = { "taskplane.run_id": run.id, "taskplane.delivery_id": delivery.id, "taskplane.event": EVENT_TYPES[delivery.event] };
    const result = await inRunSpan("callback.deliver", run.traceparent, attributes, async (span) => {
      const posted = await this.post(due, body);
      span.setAttribute("http.response.status_code", posted.statusCode);
      return posted;
    });
    const now = this.deps.clock.now();
    const next = deliveryOutcome(result, due.retries, now, due.retryUntil, this.settings);
    this.deps.metrics.callbackDeliveries.inc({ outcome: next.state === "PENDING" ? "retrying" : next.state.toLowerCase() });
    this.deps.metrics.callbackLatency.observe(result.latencyMs / 1000);
    const recorded = await this.deps.store
      .recordDeliveryAttempt({
        id: delivery.id,
        taskId: delivery.taskId,
        claim: due.claim,
        attempt: { time: now, latencyMs: result.latencyMs, statusCode: result.statusCode, error: result.error, responsePrefix: result.responsePrefix },
        body,
        ...next,
      })
      .catch((err) => (this.deps.logger.warn({ err, deliveryId: delivery.id }, "recording a callback attempt failed"), false));
    this.deps.logger.debug({ deliveryId: delivery.id, runId: run.id, status: result.statusCode, state: next.state, recorded }, "callback attempt");
  }

  /** Resolves and checks the receiver's address, then POSTs the signed event. */
  private async post(due: DueDelivery, body: string): Promise<PostResult> {
    const started = performance.now();
    try {
      const secrets = signingSecrets(this.settings, due.run.namespace, due.taskSecrets);
      if (secrets.length === 0) throw new Error("no signing secret: the task, its namespace and the server have none");
      const url = this.deps.guard.checkUrl(due.delivery.url);
      const address = await this.deps.guard.resolve(url, this.settings.timeoutMs);
      const headers = signatureHeaders(due.delivery.id, body, secrets, this.deps.clock.now());
      const traceparent = activeTraceparent();
      return await postWebhook(url, address, traceparent ? { ...headers, traceparent } : headers, body, this.settings.timeoutMs);
    } catch (e) {
      const error = e instanceof RefusedAddressError ? e.message : `could not send: ${(e as Error).message}`;
      return { statusCode: 0, latencyMs: Math.round(performance.now() - started), error };
    }
  }

}
