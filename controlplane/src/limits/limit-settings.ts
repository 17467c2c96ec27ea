// Per-principal request rates by class of method, and caps on long polls.
import type { BucketRate } from "./token-buckets.js";

export type MethodClass = "read" | "write" | "work";

export interface LimitSettings {
  /** Calls per second and burst, per principal and class; applied when authentication is on. */
  rates: Record<MethodClass, BucketRate>;
  /** Long polls one worker id may have waiting at once. */
  pollsPerWorker: number;
  /** Long polls one namespace's workers may have waiting at once on one replica. */
  pollsPerNamespace: number;
}

export const DEFAULT_LIMIT_SETTINGS: LimitSettings = {
  rates: {
    read: { ratePerSecond: 200, burst: 400 },
    write: { ratePerSecond: 100, burst: 200 },
    // Workers batch their reports; a fleet sharing one token stays far under this.
    work: { ratePerSecond: 5_000, burst: 10_000 },
  },
  pollsPerWorker: 8,
  pollsPerNamespace: 2_000,
};
