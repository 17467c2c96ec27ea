// Workers that said they are shutting down (WorkerService.ShutdownWorker). Their waiting polls are
// answered at once with no runs, and so are their polls for a while after (one may be on its way),
// so a worker stops polling without cancelling a call whose answer, with runs claimed for it, may
// already be on the wire.

/** How long a shutdown keeps answering the worker's polls at once. */
export const SHUTDOWN_REMEMBERED_MS = 10_000;

export class WorkerShutdowns {
  private readonly waiting = new Map<string, Set<AbortController>>();
  /** Worker key -> until when its polls are answered at once. */
  private readonly recent = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** A signal that aborts when the worker shuts down (already aborted if it did lately); `done` once the poll has its runs. */
  watch(workerId: string, namespace: string): { signal: AbortSignal; done: () => void } {
    const key = keyOf(workerId, namespace);
    const controller = new AbortController();
    if ((this.recent.get(key) ?? 0) > this.now()) {
      controller.abort();
      return { signal: controller.signal, done: () => {} };
    }
    const polls = this.waiting.get(key) ?? new Set();
    this.waiting.set(key, polls.add(controller));
    return {
      signal: controller.signal,
      done: () => {
        polls.delete(controller);
        if (polls.size === 0 && this.waiting.get(key) === polls) this.waiting.delete(key);
      },
    };
  }

  /** Answers the worker's waiting polls; returns how many there were. */
  shutdown(workerId: string, namespace: string): number {
    const now = this.now();
    for (const [key, until] of this.recent) if (until <= now) this.recent.delete(key);
    const key = keyOf(workerId, namespace);
    this.recent.set(key, now + SHUTDOWN_REMEMBERED_MS);
    const polls = this.waiting.get(key);
    this.waiting.delete(key);
    for (const poll of polls ?? []) poll.abort();
    return polls?.size ?? 0;
  }
}

const keyOf = (workerId: string, namespace: string) => `${namespace}\u0000${workerId}`;
