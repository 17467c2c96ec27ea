// The queue port: due runs waiting for a worker, handed out highest priority first, FIFO
// within a priority. Backends: in-process (single node); JetStream (cluster) behind the same port.
import type { DispatchRun } from "../store/store.js";

export interface TakeFilter {
  namespace: string;
  queue: string;
  /** Empty means every task type in the queue. */
  taskTypes: readonly string[];
}

/**
 * The lane a run waits in: its queue within its namespace. The default namespace's lanes are the
 * bare queue names ("~" is in neither alphabet), so lanes and JetStream subjects from before
 * namespaces stay as they were.
 */
export const laneOf = (where: { namespace: string; queue: string }) =>
  where.namespace === "default" ? where.queue : `${where.namespace}~${where.queue}`;

export interface RunQueue {
  /** Adds runs ready for workers; a run already waiting is not added twice. */
  push(runs: DispatchRun[]): void;
  /** Waits until runs matching the filter are ready (or the signal aborts); returns up to `max`. */
  take(filter: TakeFilter, max: number, signal: AbortSignal): Promise<DispatchRun[]>;
  /** Those of these runs still waiting for a worker (not yet taken by a poll). */
  waitingAmong(runIds: string[]): string[];
  /** Taken runs whose claim is written (or that are no longer pending): done with for good. */
  settle(runIds: string[]): void;
  /** Puts taken runs back in front, e.g. when recording their claim failed. */
  putBack(runs: DispatchRun[]): void;
  /** Runs waiting per lane (see laneOf) and priority. */
  depths(): Map<string, Record<DispatchRun["priority"], number>>;
  /** Wakes every waiting taker with nothing; later takes return at once. */
  close(): void;
}
