-- Callbacks: a task's webhook, and an outbox of the events its runs produce. A trigger records
-- each event in the same transaction as the run's state change, whichever path made it (a worker's
-- report, the timeout sweep, a cancel), so an outcome is never lost between the change and its send.

-- {url, events: [CallbackEvent], secrets: [whsec_…]}; NULL for no callback.
ALTER TABLE tasks ADD COLUMN callback jsonb;
-- Copied from the task when a run is written, so the trigger below is skipped in C for runs
-- without a callback: the report path pays nothing for them.
ALTER TABLE runs ADD COLUMN callback boolean NOT NULL DEFAULT false;

CREATE TABLE callback_deliveries (
  -- "msg_…", also the webhook-id header: the same on every attempt, so receivers can deduplicate.
  id                text PRIMARY KEY,
  seq               bigserial UNIQUE,
  task_id           uuid NOT NULL REFERENCES tasks (id),
  run_id            uuid NOT NULL REFERENCES runs (id),
  attempt           integer NOT NULL,
  event             text NOT NULL,
  -- The run's state when the event happened (it may have moved on by the time it is sent).
  run_state         text NOT NULL,
  url               text NOT NULL,
  state             text NOT NULL,
  -- The event as first sent, so every retry sends the same bytes.
  body              text,
  -- Every attempt: {time, latencyMs, statusCode, error, responsePrefix}.
  attempts          jsonb NOT NULL DEFAULT '[]',
  next_attempt_time timestamptz NOT NULL,
  -- Retries stop after this; set at the first attempt (and again by a redelivery).
  retry_until       timestamptz,
  create_time       timestamptz NOT NULL
);
CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_time) WHERE state = 'PENDING';
CREATE INDEX callback_deliveries_by_task ON callback_deliveries (task_id, seq);
CREATE INDEX callback_deliveries_by_run ON callback_deliveries (run_id, seq);

CREATE FUNCTION record_callback_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO callback_deliveries (id, task_id, run_id, attempt, event, run_state, url, state, next_attempt_time, create_time)
  SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), NEW.task_id, NEW.id, NEW.attempt, e.event, NEW.state,
         t.callback->>'url', 'PENDING', clock_timestamp(), clock_timestamp()
    FROM tasks t
   CROSS JOIN LATERAL unnest(ARRAY[
           CASE WHEN OLD.state = 'RUNNING' AND NEW.state IN ('RETRYING', 'FAILED', 'TIMED_OUT') THEN 'ATTEMPT_FAILED' END,
           CASE NEW.state WHEN 'SUCCEEDED' THEN 'RUN_SUCCEEDED' WHEN 'FAILED' THEN 'RUN_FAILED'
                          WHEN 'TIMED_OUT' THEN 'RUN_FAILED' WHEN 'CANCELLED' THEN 'RUN_CANCELLED' END
         ]) AS e(event)
   WHERE t.id = NEW.task_id AND e.event IS NOT NULL AND t.callback->'events' ? e.event;
  RETURN NULL;
END $$;

CREATE TRIGGER runs_callback_events AFTER UPDATE OF state ON runs
  FOR EACH ROW
  WHEN (NEW.callback AND OLD.state IS DISTINCT FROM NEW.state
        AND NEW.state IN ('SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'RETRYING'))
  EXECUTE FUNCTION record_callback_events();
