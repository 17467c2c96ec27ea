-- Tasks, runs (with their attempts) and logs. Runs are unique per (task, scheduled time), so one scheduled
-- time can never produce two runs; every state change of a run is a conditional update.

CREATE TABLE tasks (
  id              uuid PRIMARY KEY,
  seq             bigserial UNIQUE,
  type            text NOT NULL,
  queue           text NOT NULL,
  priority        smallint NOT NULL,
  payload         bytea NOT NULL,
  content_type    text NOT NULL,
  labels          jsonb NOT NULL DEFAULT '{}',
  idempotency_key text UNIQUE,
  retry_policy    jsonb NOT NULL,
  timeouts        jsonb NOT NULL,
  schedule        jsonb NOT NULL,
  state           text NOT NULL,
  next_fire_time  timestamptz,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX tasks_listing ON tasks (state, seq);
CREATE INDEX tasks_labels ON tasks USING gin (labels);

CREATE TABLE runs (
  id                uuid PRIMARY KEY,
  seq               bigserial UNIQUE,
  task_id           uuid NOT NULL REFERENCES tasks (id),
  task_type         text NOT NULL,
  queue             text NOT NULL,
  priority          smallint NOT NULL,
  state             text NOT NULL,
  trigger           text NOT NULL,
  scheduled_time    timestamptz NOT NULL,
  due_time          timestamptz NOT NULL,
  fire_time         timestamptz,
  start_time        timestamptz,
  end_time          timestamptz,
  attempt           integer NOT NULL DEFAULT 0,
  max_attempts      integer NOT NULL,
  worker_id         text,
  lease_expires_at  timestamptz,
  deadline_at       timestamptz,
  cancel_requested  boolean NOT NULL DEFAULT false,
  payload_override  bytea,
  output            bytea,
  output_type       text,
  error             jsonb,
  reason            text,
  heartbeat_details bytea,
  traceparent       text,
  -- Every attempt: {number, workerId, outcome, startTime, endTime, error}. Kept on the run so a
  -- claim and a report each write one row.
  attempts          jsonb NOT NULL DEFAULT '[]',
  UNIQUE (task_id, scheduled_time)
);
-- The scheduler's due window and the timeout sweep read only these partial indexes.
CREATE INDEX runs_due ON runs (due_time) WHERE state IN ('SCHEDULED', 'RETRYING');
CREATE INDEX runs_queued ON runs (due_time) WHERE state = 'QUEUED';
CREATE INDEX runs_running ON runs (lease_expires_at) WHERE state = 'RUNNING';
-- Listing by task and by recency reads the unique indexes above backwards: no more indexes to
-- maintain on the claim and report paths.

CREATE TABLE run_logs (
  sequence bigserial PRIMARY KEY,
  run_id   uuid NOT NULL REFERENCES runs (id),
  attempt  integer NOT NULL,
  time     timestamptz NOT NULL,
  message  text NOT NULL
);
CREATE INDEX run_logs_by_run ON run_logs (run_id, sequence);
