// A run's log lines from one attempt, appended in batches.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import type { Assignment, WorkerService } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";

const LOG_FLUSH_MS = 500;

/** Buffers log lines and appends them in batches; the last batch goes before the result. */
export class LogBuffer {
  private lines: { time: ReturnType<typeof timestampFromDate>; message: string }[] = [];
  /** Started by the first line: most handlers never log, and a timer per attempt is not free. */
  private timer?: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly assignment: Assignment,
    private readonly client: Client<typeof WorkerService>,
  ) {}

  add(message: string): void {
    this.lines.push({ time: timestampFromDate(new Date()), message });
    this.timer ??= setInterval(() => void this.flush(), LOG_FLUSH_MS);
  }

  flush(): Promise<void> {
    if (this.lines.length === 0) return this.sending;
    const lines = this.lines.splice(0, 1_000);
    const { runId, attempt } = this.assignment;
    this.sending = this.sending.then(() => this.client.appendLogs({ runId, attempt, lines }).then(() => undefined, () => undefined));
    return this.lines.length ? this.flush() : this.sending;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
