// Remembers which workers poll, for the overview and `taskplane workers list`. A worker polls
// many times a second under load; its sighting is written at most once per interval per replica,
// off the poll's path.
import type { Logger } from "pino";
import type { Clock } from "../domain/clock.js";
import type { Store, WorkerSighting } from "../store/store.js";

const WRITE_EVERY_MS = 5_000;
const FORGET_AFTER_MS = 86_400_000;
const FORGET_EVERY_MS = 3_600_000;

export class WorkerPresence {
  private readonly written = new Map<string, number>();
  private lastForgotten = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  seen(worker: Omit<WorkerSighting, "lastSeen">): void {
    const now = this.clock.now();
    const key = `${worker.namespace}\u0000${worker.queue}\u0000${worker.workerId}`;
    if (now.getTime() - (this.written.get(key) ?? 0) < WRITE_EVERY_MS) return;
    this.written.set(key, now.getTime());
    this.store.recordWorkerSighting({ ...worker, lastSeen: now }).catch((e) => this.logger.warn({ err: e, workerId: worker.workerId }, "could not record a worker's poll"));
    if (now.getTime() - this.lastForgotten >= FORGET_EVERY_MS) this.forgetOld(now);
  }

  private forgetOld(now: Date): void {
    this.lastForgotten = now.getTime();
    for (const [key, at] of this.written) if (now.getTime() - at >= WRITE_EVERY_MS) this.written.delete(key);
    this.store.forgetWorkers(new Date(now.getTime() - FORGET_AFTER_MS)).catch((e) => this.logger.warn({ err: e }, "could not forget old workers"));
  }
}
