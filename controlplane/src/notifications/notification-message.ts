// What a notification says: one event in full, or a window's events as one summary.
import { createHash } from "node:crypto";
import type { NotificationEvent, NotificationRecord } from "../domain/model.js";
import type { DueNotification } from "../store/store.js";

export interface NotificationMessage {
  /** The same for a resend of the same events (a webhook receiver deduplicates on it). */
  id: string;
  subject: string;
  /** Plain text, one line per event, with links to runs. */
  text: string;
  /** The same for machines (the webhook channel). */
  json: Record<string, unknown>;
}

const WHAT_HAPPENED: Record<NotificationEvent, string> = {
  ATTEMPT_FAILED: "attempt failed",
  RETRIES_EXHAUSTED: "failed with no retries left",
  RUN_SUCCEEDED: "succeeded",
  RUN_LATE: "started late",
};

export function notificationMessage({ rule, events, total, eventIds }: DueNotification, publicUrl: string): NotificationMessage {
  const scope = rule.taskId ? `task ${rule.taskId}` : `queue ${rule.queue}`;
  const first = events[0]!;
  const subject =
    total === 1
      ? `[Taskplane] ${first.taskType} ${WHAT_HAPPENED[first.event]}`
      : `[Taskplane] ${total} events on ${scope} (${summary(events)})`;
  const runUrl = (e: NotificationRecord) => `${publicUrl}/ui/runs/${e.runId}`;
  const lines = events.map(
    (e) => `• ${e.time.toISOString()} ${e.taskType} run ${e.runId} attempt ${e.attempt} ${WHAT_HAPPENED[e.event]}${e.detail ? `: ${e.detail}` : ""} <${runUrl(e)}>`,
  );
  if (total > events.length) lines.push(`… and ${total - events.length} more since ${events[events.length - 1]!.time.toISOString()}`);
  const window = `one message per ${Math.round(rule.groupWindowMs / 1000)} s for this rule`;
  const id = `msg_${createHash("sha256").update(`${rule.id}/${eventIds.join(",")}`).digest("hex").slice(0, 32)}`;
  return {
    id,
    subject,
    text: `${subject}\n\n${lines.join("\n")}\n\n(${scope}; ${window}; rule ${rule.id})`,
    json: {
      type: "notification",
      ruleId: rule.id,
      taskId: rule.taskId,
      queue: rule.queue,
      total,
      events: events.map((e) => ({ ...e, time: e.time.toISOString(), url: runUrl(e) })),
    },
  };
}

/** "3 attempt failed, 1 failed with no retries left" */
function summary(events: NotificationRecord[]): string {
  const counts = new Map<NotificationEvent, number>();
  for (const e of events) counts.set(e.event, (counts.get(e.event) ?? 0) + 1);
  return [...counts].map(([event, n]) => `${n} ${WHAT_HAPPENED[event]}`).join(", ");
}

