// An attempt's cancellation, with the AbortSignal made only when someone asks for it: Node's
// AbortSignal costs ~1 KB and a listener on it ~0.7 KB more, which thousands of attempts starting at
// one instant would allocate at once, setting off garbage collection between the first and the last.

export class AttemptAbort {
  private controller?: AbortController;
  private abortReason: unknown;
  private isAborted = false;
  private readonly listeners: ((reason: unknown) => void)[] = [];

  get aborted(): boolean {
    return this.isAborted;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  /** Aborts when the attempt does, with the same reason. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** The first abort wins; later ones change nothing. */
  abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    for (const listener of this.listeners.splice(0)) listener(reason);
  }

  /** Calls `listener` once with the reason, at the abort or now if it has happened. */
  onAbort(listener: (reason: unknown) => void): void {
    if (this.isAborted) listener(this.abortReason);
    else this.listeners.push(listener);
  }
}
