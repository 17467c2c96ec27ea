// Assignments handed out ahead of their start time (runs claimed before they are due) start at
// that time on this process's clock: read through the server's clock, and released together.
import { timestampMs, type Timestamp } from "@bufbuild/protobuf/wkt";

/**
 * Reads server times on the local clock. The clocks are taken to agree unless an answer shows this
 * one behind: received before the server's time on it. Then the offset is the least
 * (received - server_time) over recent answers: how far behind, plus the fastest delivery. A slow
 * delivery cannot make runs late, as it would if each answer's own delivery time were added; a
 * clock ahead of the server's starts runs early by as much (never more than the server's lead).
 */
export class ServerClock {
  private readonly offsets: number[] = [];

  constructor(private readonly window = 16) {}

  /** Notes an answer's server time as it arrives; returns the offset to read its times with. */
  observe(serverTime: Timestamp, receivedAt = Date.now()): number {
    this.offsets.push(receivedAt - timestampMs(serverTime));
    if (this.offsets.length > this.window) this.offsets.shift();
    return Math.min(0, ...this.offsets);
  }
}

/**
 * Resolves when `time` (local ms) comes, or undefined when it has come. One timer per instant,
 * shared by every worker in the process, so runs due together all start before any of them ends.
 */
export function startGate(time: number | undefined): Promise<void> | undefined {
  if (time === undefined) return undefined;
  const instant = Math.ceil(time);
  const delay = instant - Date.now();
  if (delay <= 0) return undefined;
  let gate = gates.get(instant);
  if (!gate) {
    gate = new Promise<void>((resolve) =>
      setTimeout(() => {
        gates.delete(instant);
        resolve();
      }, delay),
    );
    gates.set(instant, gate);
  }
  return gate;
}

const gates = new Map<number, Promise<void>>();

/** The local time an assignment starts at, or undefined when it may start now. */
export function localStart(startTime: Timestamp | undefined, offsetMs: number | undefined): number | undefined {
  return startTime && offsetMs !== undefined ? timestampMs(startTime) + offsetMs : undefined;
}
