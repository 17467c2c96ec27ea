// Group commit for fire plans. Every scheduler transaction first locks the fence row, so a
// leader's fire plans are written one at a time whatever else happens; written as they came, each
// waited for the fence on a pooled connection of its own. At a million schedules a catching-up
// leader had 10-12 of its 16 connections so waiting (with timeout sweeps; see Scheduler.loop), and
// claims and results waited for the rest.
// Here the plans that fall due while one is being written wait in memory, and go together, as one
// transaction, next: one connection, one fence lock and one commit for all of them. (Three groups
// written at once, to overlap one's round trips with another's hold on the fence, did worse in the
// one run tried: the takeover was still ~40 s behind a minute later.)
import type { DispatchRun, FirePlan } from "../store/store.js";
import { mergePlans, planSize } from "./fire-plan.js";

/** Writes one plan in one transaction at `now`, returning the runs it queued. */
export type WriteFirePlan = (plan: FirePlan, now: Date) => Promise<DispatchRun[]>;

interface Waiting {
  plan: FirePlan;
  now: Date;
  resolve: (queued: DispatchRun[]) => void;
  reject: (reason: unknown) => void;
}

export class FirePlanWriter {
  private waiting: Waiting[] = [];
  private writing = false;

  /** maxRuns bounds one transaction's runs and tasks; a single larger plan still goes alone. */
  constructor(
    private readonly write: WriteFirePlan,
    private readonly maxRuns: number,
  ) {}

  /** Writes the plan, with those waiting beside it; resolves with the runs of this plan it queued. */
  apply(plan: FirePlan, now: Date): Promise<DispatchRun[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ plan, now, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.waiting.length > 0) await this.writeGroup(this.takeGroup());
    } finally {
      this.writing = false;
    }
  }

  private takeGroup(): Waiting[] {
    let runs = planSize(this.waiting[0]!.plan);
    let count = 1;
    for (; count < this.waiting.length; count++) {
      runs += planSize(this.waiting[count]!.plan);
      if (runs > this.maxRuns) break;
    }
    return this.waiting.splice(0, count);
  }

  private async writeGroup(group: Waiting[]): Promise<void> {
    // The latest decision's time: a run is never recorded as fired before it was.
    const now = new Date(Math.max(...group.map((w) => w.now.getTime())));
    try {
      const queued = await this.write(mergePlans(group.map((w) => w.plan)), now);
      for (const w of group) {
        const mine = new Set([...w.plan.queue, ...w.plan.next.map((r) => r.id)]);
        w.resolve(queued.filter((r) => mine.has(r.id)));
      }
    } catch (e) {
      // Each plan is idempotent: its fire retries it, in whatever group it then joins.
      for (const w of group) w.reject(e);
    }
  }
}
