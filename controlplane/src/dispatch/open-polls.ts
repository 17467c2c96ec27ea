// Caps on long polls waiting at once on this replica, per worker and per namespace, so one
// runaway worker or one tenant's fleet cannot hold every connection.
import { ResourceExhaustedError } from "../domain/errors.js";

export interface PollCaps {
  perWorker: number;
  perNamespace: number;
}

export class OpenPolls {
  private readonly byWorker = new Map<string, number>();
  private readonly byNamespace = new Map<string, number>();

  constructor(private readonly caps: PollCaps) {}

  /** Counts a poll in, or refuses it (RESOURCE_EXHAUSTED, retry in a second) when a cap is reached. */
  enter(workerId: string, namespace: string): void {
    const worker = this.byWorker.get(workerId) ?? 0;
    if (worker >= this.caps.perWorker) throw new ResourceExhaustedError(`worker ${workerId} already has ${worker} polls waiting; wait for one to return`, 1_000);
    const inNamespace = this.byNamespace.get(namespace) ?? 0;
    if (inNamespace >= this.caps.perNamespace) throw new ResourceExhaustedError(`namespace ${namespace} already has ${inNamespace} polls waiting on this server; poll less often or another replica`, 1_000);
    this.byWorker.set(workerId, worker + 1);
    this.byNamespace.set(namespace, inNamespace + 1);
  }

  leave(workerId: string, namespace: string): void {
    decrement(this.byWorker, workerId);
    decrement(this.byNamespace, namespace);
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
}
