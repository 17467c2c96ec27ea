// Values as people read them in tables: times in UTC ISO 8601, durations like 1h30m, enum names,
// schedules in words, payloads as their JSON text when short.
import { durationMs, timestampDate, timestampMs, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import { CatchUpMode, MissingTimePolicy, OverlapPolicy, RepeatedTimePolicy, type FireTime, type Payload, type Schedule } from "@taskplane/proto/taskplane/v1/task_pb.js";

export const NONE = "-";

/** "2026-12-01T09:00:00Z": UTC, whole seconds unless the time has a fraction. */
export function formatTime(ts: Timestamp | undefined): string {
  if (!ts) return NONE;
  const iso = timestampDate(ts).toISOString();
  return iso.replace(/\.000Z$/, "Z");
}

export function formatDuration(d: Duration | undefined): string {
  if (!d) return NONE;
  let ms = durationMs(d);
  if (ms === 0) return "0s";
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000], ["ms", 1]] as const) {
    if (ms >= size) {
      parts.push(`${Math.floor(ms / size)}${unit}`);
      ms %= size;
    }
  }
  return parts.join("");
}

/** The name of a generated enum's value ("SUCCEEDED"); "-" for UNSPECIFIED. */
export function enumName(values: Record<number, string>, value: number): string {
  return value === 0 ? NONE : (values[value] ?? String(value));
}

/** "cron 0 9 * * MON-FRI (Europe/Berlin)", "every 30s", "once at …", "once after 10m", "manual". */
export function describeSchedule(schedule: Schedule | undefined): string {
  const kind = schedule?.kind;
  switch (kind?.case) {
    case "cron":
      return `cron ${kind.value.expression} (${kind.value.timeZone || "UTC"})`;
    case "interval": {
      const offset = kind.value.offset && (kind.value.offset.seconds || kind.value.offset.nanos) ? ` +${formatDuration(kind.value.offset)}` : "";
      return `every ${formatDuration(kind.value.every)}${offset}`;
    }
    case "once":
      return kind.value.when.case === "at" ? `once at ${formatTime(kind.value.when.value)}` : `once after ${formatDuration(kind.value.when.value)}`;
    case "manual":
      return "manual";
    default:
      return "once, now";
  }
}

/**
 * A recurring schedule's policies, the server's defaults spelled out: "overlap SKIP; catch-up ONE
 * within 1h; DST missing RUN_AT_NEXT_VALID_TIME, repeated RUN_ONCE_FIRST"; "-" for one-time and manual.
 */
export function describePolicies(schedule: Schedule | undefined): string {
  const kind = schedule?.kind;
  if (!schedule || (kind?.case !== "cron" && kind?.case !== "interval")) return NONE;
  const orDefault = (values: Record<number, string>, value: number, fallback: number) => enumName(values, value || fallback);
  const mode = schedule.catchUp?.mode || CatchUpMode.ONE;
  let catchUp = `catch-up ${enumName(CatchUpMode, mode)}`;
  if (mode !== CatchUpMode.SKIP && schedule.catchUp?.window) catchUp += ` within ${formatDuration(schedule.catchUp.window)}`;
  if (mode === CatchUpMode.ALL) catchUp += `, at most ${schedule.catchUp?.maxRuns ?? 0}`;
  const parts = [`overlap ${orDefault(OverlapPolicy, schedule.overlapPolicy, OverlapPolicy.SKIP)}`, catchUp];
  if (schedule.jitter) parts.push(`jitter ${formatDuration(schedule.jitter)}`);
  if (kind.case === "cron") {
    const missing = orDefault(MissingTimePolicy, kind.value.onMissingTime, MissingTimePolicy.RUN_AT_NEXT_VALID_TIME);
    parts.push(`DST missing ${missing}, repeated ${orDefault(RepeatedTimePolicy, kind.value.onRepeatedTime, RepeatedTimePolicy.RUN_ONCE_FIRST)}`);
  }
  if (schedule.startTime) parts.push(`from ${formatTime(schedule.startTime)}`);
  if (schedule.endTime) parts.push(`until ${formatTime(schedule.endTime)}`);
  return parts.join("; ");
}

/**
 * A task's next fires, a line each: the UTC time, the local time, the due time when jitter moves
 * it, and what DST does to it when a transition is involved.
 * @example "\n  2026-03-29T01:00:00Z  2026-03-29T02:30:00         due 2026-03-29T01:04:10Z  02:30 does not exist …"
 */
export function describeFires(fires: FireTime[]): string {
  if (!fires.length) return NONE;
  const width = Math.max(...fires.map((f) => f.localTime.length));
  return fires.map((f) => `\n  ${[formatTime(f.time), f.localTime.padEnd(width), ...fireRemarks(f)].join("  ").trimEnd()}`).join("");
}

function fireRemarks(fire: FireTime): string[] {
  const remarks: string[] = [];
  const moved = fire.dueTime && fire.time && timestampMs(fire.dueTime) !== timestampMs(fire.time);
  if (moved) remarks.push(`due ${formatTime(fire.dueTime)}`);
  const dst = [fire.skipped ? "skipped:" : "", fire.note].filter(Boolean).join(" ");
  if (dst) remarks.push(dst);
  return remarks;
}

/** A payload's text when it is short JSON or text; else its size and type. */
export function describePayload(payload: Payload | undefined, maxChars = 200): string {
  if (!payload || payload.data.length === 0) return NONE;
  const type = payload.contentType || "application/octet-stream";
  if (/json|^text\//.test(type)) {
    const text = new TextDecoder().decode(payload.data);
    if (text.length <= maxChars && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) return text.replace(/\s*\n\s*/g, " ");
  }
  return `${payload.data.length} bytes of ${type}`;
}

/** Text on one line, cut at a word to at most `maxChars` with "…" when longer; "-" when empty. */
export function truncate(text: string, maxChars: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  if (line.length <= maxChars) return line || NONE;
  const cut = line.slice(0, maxChars - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > maxChars / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function describeLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(",") : NONE;
}
