import type { Lease, Leadership } from "./leadership.js";

/** One process, one leader: leads at once and never loses the lease until closed. */
export class SingleNodeLeadership implements Leadership {
  private readonly lost = new AbortController();

  async acquire(): Promise<Lease> {
    return { token: 1n, lost: this.lost.signal, held: () => !this.lost.signal.aborted };
  }

  async release(): Promise<void> {}

  async close(): Promise<void> {
    this.lost.abort();
  }
}
