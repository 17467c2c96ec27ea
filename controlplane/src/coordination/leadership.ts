// The leadership port: exactly one scheduler leads at a time. The single-node backend always
// leads; the etcd backend (distributed mode) campaigns for a lease and fences deposed leaders.

export interface Lease {
  /** Grows with every new leader; guards the leader's writes. */
  token: bigint;
  /** Aborts when this node stops leading. */
  lost: AbortSignal;
  /**
   * Whether the lease is known to be held right now. Checked before acting on a decision, since
   * a process that was paused (SIGSTOP, a long GC) may run a timer before it notices `lost`.
   */
  held(): boolean;
}

export interface Leadership {
  /** Resolves once this node leads, or rejects when the signal aborts. */
  acquire(signal: AbortSignal): Promise<Lease>;
  /** Gives up leadership (after a lost lease or a refused write) so another node can lead. */
  release(): Promise<void>;
  close(): Promise<void>;
}
