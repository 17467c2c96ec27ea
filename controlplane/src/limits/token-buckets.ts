// Token buckets per key (a principal and a class of methods): `ratePerSecond` refill up to
// `burst`. A refused take says how long until a token is there, for the client's retry-after.

export interface BucketRate {
  ratePerSecond: number;
  burst: number;
}

/** Keys not seen for this long are forgotten (their buckets would be full again anyway). */
const IDLE_MS = 60_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private lastSweep = 0;

  constructor(private readonly rate: BucketRate) {}

  /** Takes a token for `key` at `nowMs`: 0 when granted, else how many ms until one is available. */
  take(key: string, nowMs: number): number {
    this.sweep(nowMs);
    const b = this.buckets.get(key) ?? { tokens: this.rate.burst, at: nowMs };
    b.tokens = Math.min(this.rate.burst, b.tokens + ((nowMs - b.at) / 1000) * this.rate.ratePerSecond);
    b.at = nowMs;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.rate.ratePerSecond) * 1000);
  }

  private sweep(nowMs: number) {
    if (nowMs - this.lastSweep < IDLE_MS) return;
    this.lastSweep = nowMs;
    for (const [key, b] of this.buckets) if (nowMs - b.at > IDLE_MS) this.buckets.delete(key);
  }
}
