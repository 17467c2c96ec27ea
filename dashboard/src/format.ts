// How values read on screen: enum names without their prefix, times in the browser's zone, durations.
import { timestampDate, type Timestamp, type Duration } from "@bufbuild/protobuf/wkt";
import { AttemptOutcome, DeliveryState, Priority, RunState, TaskState } from "@taskplane/proto/taskplane/v1/task_pb.js";

/** "RUN_STATE_SUCCEEDED" is shown as "SUCCEEDED": the generated enums already drop the prefix. */
export const runStateName = (s: RunState) => RunState[s] ?? String(s);
export const taskStateName = (s: TaskState) => TaskState[s] ?? String(s);
export const outcomeName = (o: AttemptOutcome) => AttemptOutcome[o] ?? String(o);
export const deliveryStateName = (s: DeliveryState) => DeliveryState[s] ?? String(s);
export const priorityName = (p: Priority) => (p === Priority.UNSPECIFIED ? "NORMAL" : (Priority[p] ?? String(p)));

/** The tone of a state: its colour, always shown next to its name. */
export type Tone = "ok" | "bad" | "busy" | "wait" | "off" | "warn";

export function runStateTone(s: RunState): Tone {
  switch (s) {
    case RunState.SUCCEEDED:
      return "ok";
    case RunState.FAILED:
    case RunState.TIMED_OUT:
      return "bad";
    case RunState.RUNNING:
      return "busy";
    case RunState.RETRYING:
      return "warn";
    case RunState.SCHEDULED:
    case RunState.QUEUED:
      return "wait";
    default:
      return "off";
  }
}

export function taskStateTone(s: TaskState): Tone {
  if (s === TaskState.ACTIVE) return "ok";
  if (s === TaskState.PAUSED) return "warn";
  return "off";
}

export function outcomeTone(o: AttemptOutcome): Tone {
  if (o === AttemptOutcome.SUCCEEDED) return "ok";
  if (o === AttemptOutcome.RUNNING) return "busy";
  if (o === AttemptOutcome.FAILED || o === AttemptOutcome.TIMED_OUT) return "bad";
  return "off";
}

export function deliveryStateTone(s: DeliveryState): Tone {
  if (s === DeliveryState.SUCCEEDED) return "ok";
  if (s === DeliveryState.FAILED) return "bad";
  if (s === DeliveryState.PENDING) return "wait";
  return "off";
}

export const toDate = (t: Timestamp | undefined) => (t ? timestampDate(t) : undefined);

const local = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const localTime = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** A time in the browser's zone. */
export const formatLocal = (d: Date) => local.format(d);
/** Hours and minutes in the browser's zone, for chart axes. */
export const formatClock = (d: Date) => localTime.format(d);
/** The same instant in UTC, for the hover title. */
export const formatUtc = (d: Date) => d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");

/** A span of milliseconds in the largest units that matter: "850 ms", "12 s", "3 min 5 s", "2 h 10 min". */
export function formatSpan(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1_000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}

export const durationMs = (d: Duration | undefined) => (d ? Number(d.seconds) * 1_000 + d.nanos / 1e6 : 0);

/** A payload's bytes as text: JSON pretty-printed, other text as it is, binary as a size. */
export function payloadText(data: Uint8Array, contentType: string): string {
  if (data.length === 0) return "";
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(data);
    if (contentType.includes("json")) {
      try {
        return JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        return text;
      }
    }
    return text;
  } catch {
    return `(${data.length} bytes of ${contentType || "binary data"})`;
  }
}
