// One timer for all of a worker's running attempts: it drives their heartbeats and deadlines, so
// starting an attempt costs a set insertion rather than timers of its own.

export type Tick = (now: number) => void;

export class AttemptTicker {
  private readonly ticks = new Set<Tick>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly resolutionMs = 25) {}

  add(tick: Tick): void {
    this.ticks.add(tick);
    this.timer ??= setInterval(() => this.tickAll(), this.resolutionMs);
  }

  delete(tick: Tick): void {
    this.ticks.delete(tick);
    if (this.ticks.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tickAll(): void {
    const now = Date.now();
    for (const tick of this.ticks) tick(now);
  }
}
