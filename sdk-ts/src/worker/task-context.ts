// What a handler sees of its attempt: who it is, its payload, heartbeats, logs and cancellation.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Assignment } from "@taskplane/proto/taskplane/v1/worker_service_pb.js";
import { decodePayload } from "../payload.js";
import type { AttemptAbort } from "./attempt-abort.js";

export interface AttemptControls {
  heartbeat(details?: Uint8Array): void;
  log(message: string): void;
}

/** Handed to every handler call. */
export class TaskContext {
  constructor(
    private readonly assignment: Assignment,
    private readonly abort: AttemptAbort,
    private readonly controls: AttemptControls,
  ) {}

  /** Aborts when the run is cancelled, the attempt is lost or times out, or the worker shuts down; `signal.reason` says which. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get runId(): string {
    return this.assignment.runId;
  }

  get taskId(): string {
    return this.assignment.taskId;
  }

  get taskType(): string {
    return this.assignment.taskType;
  }

  /** 1 for the first attempt. */
  get attempt(): number {
    return this.assignment.attempt;
  }

  get maxAttempts(): number {
    return this.assignment.maxAttempts;
  }

  /** The time the schedule (or trigger) asked for. */
  get scheduledTime(): Date {
    const t = this.assignment.scheduledTime;
    return t ? new Date(timestampMs(t)) : new Date(0);
  }

  get labels(): Record<string, string> {
    return this.assignment.labels;
  }

  /** The payload decoded (JSON when its content type says so). */
  get payload(): unknown {
    return decodePayload(this.assignment.payload);
  }

  /** What the previous attempt last heartbeated, to resume from; undefined on a first attempt. */
  get lastHeartbeatDetails(): Uint8Array | undefined {
    return this.assignment.heartbeatDetails.length ? this.assignment.heartbeatDetails : undefined;
  }

  /** Reports progress; fire-and-forget and throttled. The details reach the next attempt if this one fails. */
  heartbeat(details?: Uint8Array | string): void {
    this.controls.heartbeat(typeof details === "string" ? new TextEncoder().encode(details) : details);
  }

  /** Appends a line to the run's log, visible through the API. */
  log(message: string): void {
    this.controls.log(message);
  }
}
