// Batches attempt results into ReportRuns calls: results that finish together travel together.
// A result is retried until the server answers it, so no finished attempt is forgotten.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import type { RunReportSchema, WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";

export type RunReportInit = MessageInitShape<typeof RunReportSchema>;

const MAX_BATCH = 1_000;

export class ResultReporter {
  private pending: { report: RunReportInit; done: () => void }[] = [];
  private flushing?: Promise<void>;
  /** Results handed over and not yet answered by the server. */
  private unanswered = 0;
  /** Results reported, by kind; `refused` counts those the server turned down (a stale attempt). */
  readonly counts = { succeeded: 0, failed: 0, refused: 0 };
  private waiters: { limit: number; resolve: () => void }[] = [];

  constructor(
    private readonly client: Client<typeof WorkerService>,
    private readonly onRefused: (runId: string, why: string) => void,
  ) {}

  /** Queues a result; resolves once the server has answered it. */
  report(report: RunReportInit): Promise<void> {
    this.unanswered++;
    if (report.result?.case === "output") this.counts.succeeded++;
    else this.counts.failed++;
    return new Promise((resolve) => {
      const done = () => {
        this.unanswered--;
        this.wakeWaiters();
        resolve();
      };
      this.pending.push({ report, done });
      if (!this.flushing) this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
    });
  }

  get awaitingAnswer(): number {
    return this.unanswered;
  }

  /** Resolves once fewer than `limit` results await the server's answer (0: all answered). */
  below(limit: number): Promise<void> {
    if (this.unanswered < Math.max(1, limit)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ limit: Math.max(1, limit), resolve }));
  }

  private refused(runId: string, why: string): void {
    this.counts.refused++;
    this.onRefused(runId, why);
  }

  private wakeWaiters(): void {
    this.waiters = this.waiters.filter((w) => (this.unanswered < w.limit ? (w.resolve(), false) : true));
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      await this.send(batch);
    }
    this.flushing = undefined;
  }

  private async send(batch: { report: RunReportInit; done: () => void }[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const { results } = await this.client.reportRuns({ reports: batch.map((b) => b.report) });
        results.forEach((r) => !r.accepted && this.refused(r.runId, r.refusal));
        break;
      } catch (e) {
        const err = ConnectError.from(e);
        if (err.code !== Code.Unavailable && err.code !== Code.ResourceExhausted && err.code !== Code.DeadlineExceeded) {
          batch.forEach((b) => this.refused(String(b.report.runId), err.message));
          break;
        }
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** attempt) * Math.random()));
      }
    }
    batch.forEach((b) => b.done());
  }
}
