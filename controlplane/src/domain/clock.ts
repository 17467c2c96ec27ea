/** The one time source for schedule decisions: the scheduler's clock, never a worker's. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
