-- Notifications: rules (a task or a queue, the events, a channel, grouping), and the events they
-- caught, written by the runs trigger in the same transaction as the change they report.

CREATE TABLE notification_rules (
  id              uuid PRIMARY KEY,
  task_id         uuid REFERENCES tasks (id),
  queue           text,
  events          text[] NOT NULL,
  -- {kind: "slack", webhookUrl} | {kind: "email", to: [...]} | {kind: "webhook", url}
  channel         jsonb NOT NULL,
  late_after_ms   bigint NOT NULL,
  group_window_ms bigint NOT NULL,
  create_time     timestamptz NOT NULL,
  last_sent_time  timestamptz,
  last_error      text,
  CHECK ((task_id IS NULL) <> (queue IS NULL))
);
CREATE INDEX notification_rules_by_task ON notification_rules (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX notification_rules_by_queue ON notification_rules (queue) WHERE queue IS NOT NULL;

CREATE TABLE notification_events (
  id        bigserial PRIMARY KEY,
  rule_id   uuid NOT NULL REFERENCES notification_rules (id) ON DELETE CASCADE,
  event     text NOT NULL,
  task_id   uuid NOT NULL,
  task_type text NOT NULL,
  run_id    uuid NOT NULL,
  attempt   integer NOT NULL,
  -- The error message, or how late the attempt started.
  detail    text,
  time      timestamptz NOT NULL,
  sent_time timestamptz
);
CREATE INDEX notification_events_unsent ON notification_events (rule_id, id) WHERE sent_time IS NULL;

-- Set when a run is written if a rule watches its task or queue (and on pending runs when a rule is
-- created), so the trigger is skipped in C for the runs no one watches.
ALTER TABLE runs ADD COLUMN notify boolean NOT NULL DEFAULT false;

CREATE FUNCTION record_notification_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  last_attempt jsonb := NEW.attempts->-1;
BEGIN
  INSERT INTO notification_events (rule_id, event, task_id, task_type, run_id, attempt, detail, time)
  SELECT r.id, e.event, NEW.task_id, NEW.task_type, NEW.id, NEW.attempt,
         CASE WHEN e.event = 'RUN_LATE'
              THEN 'started ' || round(extract(epoch FROM (last_attempt->>'startTime')::timestamptz - NEW.due_time) * 1000) || ' ms after it was due'
              ELSE COALESCE(last_attempt->'error'->>'message', NEW.error->>'message') END,
         clock_timestamp()
    FROM notification_rules r
   CROSS JOIN LATERAL unnest(ARRAY[
           CASE WHEN OLD.state = 'RUNNING' AND NEW.state IN ('RETRYING', 'FAILED', 'TIMED_OUT') THEN 'ATTEMPT_FAILED' END,
           CASE WHEN NEW.state IN ('FAILED', 'TIMED_OUT') THEN 'RETRIES_EXHAUSTED' END,
           CASE WHEN NEW.state = 'SUCCEEDED' THEN 'RUN_SUCCEEDED' END,
           CASE WHEN NEW.state = 'RUNNING'
                 AND (last_attempt->>'startTime')::timestamptz - NEW.due_time > r.late_after_ms * interval '1 millisecond'
                THEN 'RUN_LATE' END
         ]) AS e(event)
   WHERE (r.task_id = NEW.task_id OR r.queue = NEW.queue) AND e.event IS NOT NULL AND e.event = ANY (r.events);
  RETURN NULL;
END $$;

CREATE TRIGGER runs_notification_events AFTER UPDATE OF state ON runs
  FOR EACH ROW
  WHEN (NEW.notify AND OLD.state IS DISTINCT FROM NEW.state
        AND NEW.state IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'RETRYING', 'RUNNING'))
  EXECUTE FUNCTION record_notification_events();
