// Heartbeats for one attempt: extend its lease, carry progress, and learn of cancellation.
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { durationMs } from "@bufbuild/protobuf/wkt";
import type { Assignment, WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { AttemptLostError, CancelledError } from "../errors.js";
import type { AttemptAbort } from "./attempt-abort.js";

/**
 * Background heartbeats at a third of the heartbeat timeout; explicit ones are throttled to the
 * same pace. Driven by the worker's AttemptTicker rather than a timer per attempt.
 */
export class Heartbeats {
  private details?: Uint8Array;
  private inFlight = false;
  private readonly intervalMs: number;
  private nextAt: number;

  constructor(
    private readonly assignment: Assignment,
    private readonly client: Client<typeof WorkerService>,
    private readonly abort: AttemptAbort,
  ) {
    const timeoutMs = assignment.heartbeatTimeout ? durationMs(assignment.heartbeatTimeout) : 0;
    this.intervalMs = timeoutMs > 0 ? Math.max(50, timeoutMs / 3) : Infinity;
    this.nextAt = Date.now() + this.intervalMs;
  }

  beat(details?: Uint8Array): void {
    if (details) this.details = details;
  }

  tick(now: number): void {
    if (now < this.nextAt) return;
    this.nextAt = now + this.intervalMs;
    void this.send();
  }

  private async send(): Promise<void> {
    if (this.inFlight || this.abort.aborted) return;
    this.inFlight = true;
    try {
      const res = await this.client.heartbeat({ runId: this.assignment.runId, attempt: this.assignment.attempt, details: this.details });
      if (res.cancelRequested) this.abort.abort(new CancelledError());
    } catch (e) {
      const err = ConnectError.from(e);
      if (err.code === Code.FailedPrecondition || err.code === Code.NotFound) {
        this.abort.abort(new AttemptLostError(`attempt ${this.assignment.attempt} of run ${this.assignment.runId} is no longer current`, { cause: err }));
      }
    } finally {
      this.inFlight = false;
    }
  }
}
