// The single-node RunQueue: per queue, per task type, one FIFO lane per priority.
// Starvation guard: a run that has waited longer than `agingMs` is served before fresher runs
// of any priority, so a steady stream of CRITICAL work cannot starve LOW forever.
import { PRIORITIES, type Priority } from "../domain/model.js";
import type { DispatchRun } from "../store/store.js";
import { Fifo } from "./fifo.js";
import { laneOf, type RunQueue, type TakeFilter } from "./run-queue.js";

interface Entry {
  run: DispatchRun;
  readyAt: number;
}

interface Waiter {
  filter: TakeFilter;
  max: number;
  resolve: (runs: DispatchRun[]) => void;
}

type Lanes = Fifo<Entry>[];

export interface InProcessQueueOptions {
  agingMs?: number;
  now?: () => number;
  /** Called when a take starts waiting in a lane (see laneOf) that has nothing for it. */
  onWaiting?: (lane: string) => void;
}

const lessThan = (a: number[], b: number[]): boolean => {
  const i = a.findIndex((x, k) => x !== b[k]);
  return i >= 0 && a[i]! < b[i]!;
};

export class InProcessRunQueue implements RunQueue {
  private readonly queues = new Map<string, Map<string, Lanes>>();
  private readonly waiting = new Set<string>();
  private waiters: Waiter[] = [];
  private closed = false;
  private readonly agingMs: number;
  private readonly now: () => number;
  private readonly onWaiting: (lane: string) => void;

  constructor(options: InProcessQueueOptions = {}) {
    this.agingMs = options.agingMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.onWaiting = options.onWaiting ?? (() => {});
  }

  push(runs: DispatchRun[]): void {
    const readyAt = this.now();
    for (const run of runs) {
      if (this.waiting.has(run.id)) continue;
      this.waiting.add(run.id);
      this.lanes(laneOf(run), run.taskType)[PRIORITIES.indexOf(run.priority)]!.push({ run, readyAt });
    }
    this.serveWaiters();
  }

  putBack(runs: DispatchRun[]): void {
    for (const run of [...runs].reverse()) {
      if (this.waiting.has(run.id)) continue;
      this.waiting.add(run.id);
      this.lanes(laneOf(run), run.taskType)[PRIORITIES.indexOf(run.priority)]!.unshift({ run, readyAt: 0 });
    }
    this.serveWaiters();
  }

  settle(): void {
    // Nothing to acknowledge: a taken run has already left the queue.
  }

  /** Drops a waiting run, e.g. one a backend gives back to be served elsewhere. */
  remove(runId: string): void {
    this.waiting.delete(runId);
  }

  waitingAmong(runIds: string[]): string[] {
    return runIds.filter((id) => this.waiting.has(id));
  }

  take(filter: TakeFilter, max: number, signal: AbortSignal): Promise<DispatchRun[]> {
    const ready = this.takeReady(filter, max);
    if (ready.length > 0 || this.closed || signal.aborted) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        filter,
        max,
        resolve: (runs) => {
          signal.removeEventListener("abort", onAbort);
          resolve(runs);
        },
      };
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve([]);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
      this.onWaiting(laneOf(filter));
    });
  }

  /** How many runs each take waiting in a lane with nothing to take asks for. */
  waitingIn(lane: string): number[] {
    return this.waiters.filter((w) => laneOf(w.filter) === lane).map((w) => w.max);
  }

  depths(): Map<string, Record<Priority, number>> {
    const depths = new Map<string, Record<Priority, number>>();
    for (const [queue, byType] of this.queues) {
      const counts = { CRITICAL: 0, HIGH: 0, NORMAL: 0, LOW: 0 };
      for (const lanes of byType.values()) PRIORITIES.forEach((p, i) => (counts[p] += lanes[i]!.size));
      depths.set(queue, counts);
    }
    return depths;
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiters) waiter.resolve([]);
    this.waiters = [];
  }

  private lanes(queue: string, taskType: string): Lanes {
    let byType = this.queues.get(queue);
    if (!byType) this.queues.set(queue, (byType = new Map()));
    let lanes = byType.get(taskType);
    if (!lanes) byType.set(taskType, (lanes = PRIORITIES.map(() => new Fifo<Entry>())));
    return lanes;
  }

  private serveWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      const runs = this.takeReady(waiter.filter, waiter.max);
      if (runs.length > 0) waiter.resolve(runs);
      else still.push(waiter);
    }
    this.waiters = still;
  }

  private takeReady(filter: TakeFilter, max: number): DispatchRun[] {
    const byType = this.queues.get(laneOf(filter));
    if (!byType) return [];
    const candidates =
      filter.taskTypes.length === 0
        ? [...byType.values()]
        : filter.taskTypes.map((t) => byType.get(t)).filter((lanes): lanes is Lanes => lanes !== undefined);
    const taken: DispatchRun[] = [];
    const now = this.now();
    let startAt: number | undefined;
    while (taken.length < max) {
      const lane = this.nextLane(candidates, now);
      if (!lane) break;
      // One poll, one start instant: runs fired early wait for a later poll than runs already due.
      const at = Math.max(now, lane.peek()!.run.dueTime.getTime());
      if (startAt !== undefined && at !== startAt) break;
      startAt = at;
      const { run } = lane.shift()!;
      this.waiting.delete(run.id);
      taken.push(run);
    }
    return taken;
  }

  /**
   * The lane whose head goes next: runs already due before runs fired early; then an aged head
   * (oldest first); then the highest priority (oldest first).
   */
  private nextLane(candidates: Lanes[], now: number): Fifo<Entry> | undefined {
    const agedBefore = now - this.agingMs;
    let best: Fifo<Entry> | undefined;
    let bestKey: number[] = [Infinity, Infinity, Infinity];
    for (const lanes of candidates) {
      lanes.forEach((lane, priority) => {
        // Removed runs are dropped lazily, when they reach the head of their lane.
        while (lane.peek() && !this.waiting.has(lane.peek()!.run.id)) lane.shift();
        const head = lane.peek();
        if (!head) return;
        const key = [head.run.dueTime.getTime() > now ? 1 : 0, head.readyAt < agedBefore ? -1 : priority, head.readyAt];
        if (lessThan(key, bestKey)) {
          best = lane;
          bestKey = key;
        }
      });
    }
    return best;
  }
}
