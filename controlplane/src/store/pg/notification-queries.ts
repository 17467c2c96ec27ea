// SQL for notifications: rules, and the events the runs trigger records for them
// (migrations/0005_notifications.sql).
import type { NotificationRecord, NotificationRule } from "../../domain/model.js";
import type { DueNotification } from "../store.js";
import type { Queryable } from "./db.js";

const RULE_COLUMNS = "id, namespace, task_id, queue, events, channel, late_after_ms, group_window_ms, create_time, last_sent_time, last_error";

interface RuleRow {
  id: string;
  namespace: string;
  task_id: string | null;
  queue: string | null;
  events: NotificationRule["events"];
  channel: NotificationRule["channel"];
  late_after_ms: string;
  group_window_ms: string;
  create_time: Date;
  last_sent_time: Date | null;
  last_error: string | null;
}

function ruleFromRow(r: RuleRow): NotificationRule {
  return {
    id: r.id,
    namespace: r.namespace,
    taskId: r.task_id ?? undefined,
    queue: r.queue ?? undefined,
    events: r.events,
    channel: r.channel,
    lateAfterMs: Number(r.late_after_ms),
    groupWindowMs: Number(r.group_window_ms),
    createTime: r.create_time,
    lastSentTime: r.last_sent_time ?? undefined,
    lastError: r.last_error ?? undefined,
  };
}

export async function insertNotificationRule(db: Queryable, rule: NotificationRule): Promise<void> {
  await db.query(
    `INSERT INTO notification_rules (id, task_id, queue, events, channel, late_after_ms, group_window_ms, create_time, namespace)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [rule.id, rule.taskId ?? null, rule.queue ?? null, rule.events, JSON.stringify(rule.channel), rule.lateAfterMs, rule.groupWindowMs, rule.createTime, rule.namespace],
  );
  // Runs written from now on are marked as they are inserted; these are the ones already waiting or running.
  await db.query(
    `UPDATE runs SET notify = true
      WHERE state IN ('SCHEDULED', 'QUEUED', 'RUNNING', 'RETRYING') AND NOT notify AND (task_id = $1 OR (queue = $2 AND namespace = $3))`,
    [rule.taskId ?? null, rule.queue ?? null, rule.namespace],
  );
}

export async function selectNotificationRules(db: Queryable, filter: { taskId?: string; queue?: string; namespaces?: string[] }): Promise<NotificationRule[]> {
  const { rows } = await db.query<RuleRow>(
    `SELECT ${RULE_COLUMNS} FROM notification_rules
      WHERE ($1::uuid IS NULL OR task_id = $1) AND ($2::text IS NULL OR queue = $2) AND ($3::text[] IS NULL OR namespace = ANY($3::text[]))
      ORDER BY create_time`,
    [filter.taskId ?? null, filter.queue ?? null, filter.namespaces ?? null],
  );
  return rows.map(ruleFromRow);
}

export async function deleteNotificationRule(db: Queryable, ruleId: string, namespaces: string[] | undefined): Promise<boolean> {
  const { rowCount } = await db.query("DELETE FROM notification_rules WHERE id = $1 AND ($2::text[] IS NULL OR namespace = ANY($2::text[]))", [ruleId, namespaces ?? null]);
  return (rowCount ?? 0) > 0;
}

/** The unsent events one message may cover; more wait for the next window. */
const MAX_EVENTS_PER_SEND = 10_000;

/**
 * Claims rules with unsent events whose window has passed (or that never sent), skipping rules
 * another replica holds or is still sending for, stamps them sent now (the window starts with
 * this send), and leases them for `leaseMs` so a slow send is not claimed again.
 */
export async function claimDueNotifications(db: Queryable, now: Date, limit: number, eventsPerMessage: number, leaseMs: number): Promise<DueNotification[]> {
  const { rows } = await db.query<RuleRow & { events_json: (Omit<NotificationRecord, "time"> & { time: string; id: string })[]; total: string; event_ids: string[] }>(
    `WITH due AS (
       SELECT r.id FROM notification_rules r
        WHERE (r.last_sent_time IS NULL OR r.last_sent_time + r.group_window_ms * interval '1 millisecond' <= $1)
          AND (r.sending_until IS NULL OR r.sending_until <= $1)
          AND EXISTS (SELECT 1 FROM notification_events e WHERE e.rule_id = r.id AND e.sent_time IS NULL)
        LIMIT $2 FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE notification_rules r SET last_sent_time = $1, sending_until = $1::timestamptz + $4 * interval '1 millisecond'
         FROM due WHERE r.id = due.id RETURNING r.*
     )
     SELECT c.*, u.total, u.event_ids, u.events_json
       FROM claimed c CROSS JOIN LATERAL (
         SELECT count(*) AS total, array_agg(e.id) AS event_ids,
                (SELECT json_agg(json_build_object('id', f.id, 'event', f.event, 'taskId', f.task_id, 'taskType', f.task_type,
                                                   'runId', f.run_id, 'attempt', f.attempt, 'detail', f.detail, 'time', f.time) ORDER BY f.id)
                   FROM (SELECT * FROM notification_events WHERE rule_id = c.id AND sent_time IS NULL ORDER BY id LIMIT $3) f) AS events_json
           FROM (SELECT id FROM notification_events WHERE rule_id = c.id AND sent_time IS NULL ORDER BY id LIMIT ${MAX_EVENTS_PER_SEND}) e) u`,
    [now, limit, eventsPerMessage, leaseMs],
  );
  return rows.map((r) => ({
    rule: ruleFromRow(r),
    total: Number(r.total),
    eventIds: r.event_ids,
    events: (r.events_json ?? []).map(({ id: _id, ...e }) => ({ ...e, detail: e.detail ?? undefined, time: new Date(e.time) })),
  }));
}

/** Marks exactly the events the message covered as sent (ids are not assigned in commit order), and ends the lease. */
export async function finishNotification(db: Queryable, ruleId: string, eventIds: string[], error: string | undefined, now: Date): Promise<void> {
  if (error === undefined) {
    await db.query("UPDATE notification_events SET sent_time = $2 WHERE id = ANY($1::bigint[]) AND sent_time IS NULL", [eventIds, now]);
  }
  await db.query("UPDATE notification_rules SET last_error = $2, sending_until = NULL WHERE id = $1", [ruleId, error ?? null]);
}
