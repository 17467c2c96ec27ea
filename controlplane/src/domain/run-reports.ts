// What workers report about their attempts. Every report is applied by a conditional update on
// (run, attempt, RUNNING): a stale or duplicate report is refused and changes nothing.
import type { AttemptFailure, AttemptSuccess, ReportOutcome, Store } from "../store/store.js";
import type { Clock } from "./clock.js";
import type { DueNotifier } from "./due-notifier.js";
import { FailedPreconditionError, NotFoundError } from "./errors.js";
import { decideAfterFailure } from "./failure-decision.js";
import type { Payload, RunError } from "./model.js";
import type { Logger } from "pino";
import { runFields } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import { recordRunStep } from "../telemetry/tracing.js";

export type RunReport = AttemptSuccess | AttemptFailure;

export class RunReports {
  private readonly decide;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly due: DueNotifier,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.decide = decideAfterFailure(clock);
  }

  async heartbeat(runId: string, attempt: number, details: Uint8Array | undefined) {
    const outcome = await this.store.heartbeat(runId, attempt, details, this.clock.now());
    if (!outcome.ok) throw refusalError(runId, attempt, outcome.refusal);
    return outcome;
  }

  async complete(runId: string, attempt: number, output: Payload | undefined): Promise<void> {
    const [outcome] = await this.report([{ runId, attempt, output }]);
    if (!outcome!.ok) throw refusalError(runId, attempt, outcome!.refusal);
  }

  async fail(runId: string, attempt: number, error: RunError) {
    const [outcome] = await this.report([{ runId, attempt, error }]);
    if (!outcome!.ok) throw refusalError(runId, attempt, outcome!.refusal);
    return outcome!;
  }

  /** Applies many reports; each is accepted or refused on its own. Results are in request order. */
  async report(reports: RunReport[]): Promise<ReportOutcome[]> {
    const now = this.clock.now();
    const successes = reports.filter((r): r is AttemptSuccess => !("error" in r));
    const failures = reports.filter((r): r is AttemptFailure => "error" in r);
    const [succeeded, failed] = await Promise.all([
      successes.length ? this.store.completeAttempts(successes, now) : [],
      failures.length ? this.store.failAttempts(failures, now, this.decide) : [],
    ]);
    const retries = failed.flatMap((o) => (o.ok && o.nextAttemptTime ? [o.nextAttemptTime] : []));
    if (retries.length) this.due.runsDue(retries);
    let s = 0;
    let f = 0;
    const outcomes = reports.map((r) => ("error" in r ? failed[f++]! : succeeded[s++]!));
    const debug = this.logger.isLevelEnabled("debug");
    outcomes.forEach((o, i) => {
      const r = reports[i]!;
      if (debug) this.logger.debug({ ...runFields({ ...r, traceparent: o.ok ? o.traceparent : undefined }), outcome: "error" in r ? "failed" : "succeeded", accepted: o.ok, willRetry: o.ok && o.willRetry }, "attempt reported");
      if (!o.ok) return;
      this.metrics.attempts.inc({ outcome: "error" in r ? "failed" : "succeeded" });
      if (o.willRetry) this.metrics.retries.inc();
      recordRunStep("run.report", o.traceparent, { "taskplane.run_id": r.runId, "taskplane.attempt": r.attempt, "taskplane.outcome": "error" in r ? "failed" : "succeeded" });
    });
    return outcomes;
  }

  async appendLogs(runId: string, attempt: number, lines: { time: Date; message: string }[]): Promise<void> {
    const status = await this.store.appendLogs(runId, attempt, lines);
    if (status !== "ok") throw refusalError(runId, attempt, status);
  }
}

function refusalError(runId: string, attempt: number, refusal: "not_found" | "stale") {
  return refusal === "not_found"
    ? new NotFoundError(`run ${runId} not found`)
    : new FailedPreconditionError(
        `attempt ${attempt} of run ${runId} is no longer current (it timed out, or was already reported); drop its result`,
      );
}
