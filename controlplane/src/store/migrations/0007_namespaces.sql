-- Namespaces: every task, and so every run, delivery and rule, belongs to one. Existing rows go to
-- "default". Runs carry their task's namespace so listing and dispatch need no join.
ALTER TABLE tasks ADD COLUMN namespace text NOT NULL DEFAULT 'default';
ALTER TABLE runs ADD COLUMN namespace text NOT NULL DEFAULT 'default';
ALTER TABLE notification_rules ADD COLUMN namespace text NOT NULL DEFAULT 'default';
CREATE INDEX tasks_by_namespace ON tasks (namespace, seq);

-- A queue rule watches its queue in its own namespace only.
CREATE OR REPLACE FUNCTION record_notification_events() RETURNS trigger LANGUAGE plpgsql AS $$
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
   WHERE (r.task_id = NEW.task_id OR (r.queue = NEW.queue AND r.namespace = NEW.namespace)) AND e.event IS NOT NULL AND e.event = ANY (r.events);
  RETURN NULL;
END $$;
