// One SDK worker in a process of its own, as workers are deployed: apart from the bench that
// measures them and from each other. Its "noop" handler notes when each run started (scheduled
// time, ms late) and sends the notes to the parent in batches; warnings go the same way. It
// drains and exits when the parent sends "stop". Started by startWorkerProcesses (common.ts).
import { Worker } from "@taskplane/sdk";

export interface WorkerProcessConfig {
  address: string[];
  workerId: string;
  concurrency: number;
}

/** [scheduled time, ms late] of each run started since the last message. */
export type WorkerProcessMessage = { started: [number, number][] } | { warning: string };

const config = JSON.parse(process.argv[2]!) as WorkerProcessConfig;
const send = (message: WorkerProcessMessage, then?: () => void) => process.send!(message, undefined, {}, () => then?.());

let started: [number, number][] = [];
// Batched off the handler's path: a message per run would cost the burst it measures.
const flush = (then?: () => void) => {
  if (started.length) send({ started }, then);
  else then?.();
  started = [];
};
const flusher = setInterval(flush, 100);

const worker = Worker.create({
  address: config.address,
  workerId: config.workerId,
  concurrency: config.concurrency,
  handleSignals: false,
  onWarning: (warning) => send({ warning }),
  handlers: {
    noop: async (_payload, ctx) => {
      const scheduled = ctx.scheduledTime.getTime();
      started.push([scheduled, Date.now() - scheduled]);
    },
  },
});
const running = worker.run();

process.on("message", (message) => {
  if (message !== "stop") return;
  void worker
    .shutdown()
    .then(() => running)
    .then(() => {
      clearInterval(flusher);
      flush(() => process.disconnect());
    });
});
// Never outlive the bench.
process.on("disconnect", () => process.exit(0));
