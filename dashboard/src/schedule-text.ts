// A task's schedule in words: cron through cronstrue, the other kinds spelled out, with their policies.
import cronstrue from "cronstrue";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { CatchUpMode, MissingTimePolicy, OverlapPolicy, RepeatedTimePolicy, type Schedule } from "@taskplane/proto/taskplane/v1/task_pb.js";
import { durationMs, formatLocal, formatSpan } from "./format.js";

/** The schedule's kind and timing in one phrase, e.g. "At 09:00, Monday through Friday (Europe/Berlin)". */
export function scheduleSummary(schedule: Schedule | undefined): string {
  const kind = schedule?.kind;
  switch (kind?.case) {
    case undefined:
      return "Once, when created";
    case "manual":
      return "Only when triggered";
    case "once":
      return kind.value.when.case === "at"
        ? `Once, at ${formatLocal(timestampDate(kind.value.when.value))}`
        : `Once, ${formatSpan(durationMs(kind.value.when.value))} after it was created`;
    case "interval": {
      const offset = durationMs(kind.value.offset);
      return `Every ${formatSpan(durationMs(kind.value.every))}${offset ? `, offset by ${formatSpan(offset)}` : ""}`;
    }
    case "cron":
      return `${cronInWords(kind.value.expression)} (${kind.value.timeZone || "UTC"})`;
  }
}

export function cronInWords(expression: string): string {
  try {
    return cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return `cron "${expression}"`;
  }
}

/** The rest of the schedule, one line each: bounds, jitter, and the policies that differ from none. */
export function scheduleDetails(schedule: Schedule | undefined): string[] {
  if (!schedule) return [];
  const lines: string[] = [];
  if (schedule.kind.case === "cron") lines.push(`Cron expression: ${schedule.kind.value.expression}`);
  if (schedule.startTime) lines.push(`Not before ${formatLocal(timestampDate(schedule.startTime))}`);
  if (schedule.endTime) lines.push(`Not after ${formatLocal(timestampDate(schedule.endTime))}`);
  const jitter = durationMs(schedule.jitter);
  if (jitter) lines.push(`Fires spread over ${formatSpan(jitter)} after their time (jitter)`);
  if (schedule.kind.case === "cron" || schedule.kind.case === "interval") {
    lines.push(`If the previous run is still going: ${OVERLAP[schedule.overlapPolicy]}`);
    lines.push(`Fires missed while down: ${CATCH_UP[schedule.catchUp?.mode ?? CatchUpMode.UNSPECIFIED]}`);
  }
  if (schedule.kind.case === "cron") {
    lines.push(`Local times skipped by DST: ${MISSING[schedule.kind.value.onMissingTime]}`);
    lines.push(`Local times repeated by DST: ${REPEATED[schedule.kind.value.onRepeatedTime]}`);
  }
  return lines;
}

const OVERLAP: Record<OverlapPolicy, string> = {
  [OverlapPolicy.UNSPECIFIED]: "skip the new fire",
  [OverlapPolicy.SKIP]: "skip the new fire",
  [OverlapPolicy.ALLOW]: "run both",
  [OverlapPolicy.CANCEL_PREVIOUS]: "cancel the previous run",
};
const CATCH_UP: Record<CatchUpMode, string> = {
  [CatchUpMode.UNSPECIFIED]: "run the latest one",
  [CatchUpMode.ONE]: "run the latest one",
  [CatchUpMode.SKIP]: "skip them all",
  [CatchUpMode.ALL]: "run them all (within the window)",
};
const MISSING: Record<MissingTimePolicy, string> = {
  [MissingTimePolicy.UNSPECIFIED]: "run at the next valid time",
  [MissingTimePolicy.RUN_AT_NEXT_VALID_TIME]: "run at the next valid time",
  [MissingTimePolicy.SKIP]: "skip that day",
};
const REPEATED: Record<RepeatedTimePolicy, string> = {
  [RepeatedTimePolicy.UNSPECIFIED]: "run once, the first time",
  [RepeatedTimePolicy.RUN_ONCE_FIRST]: "run once, the first time",
  [RepeatedTimePolicy.RUN_ONCE_LAST]: "run once, the second time",
  [RepeatedTimePolicy.RUN_BOTH]: "run both times",
};
