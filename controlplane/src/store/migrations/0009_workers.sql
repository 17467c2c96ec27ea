-- Workers as any replica last saw them poll, for the dashboard and `taskplane workers list`.
-- Written at most every few seconds per worker, so polls stay cheap.
CREATE TABLE workers (
  namespace  text NOT NULL,
  queue      text NOT NULL,
  worker_id  text NOT NULL,
  task_types text[] NOT NULL DEFAULT '{}',
  principal  text NOT NULL DEFAULT '',
  last_seen  timestamptz NOT NULL,
  PRIMARY KEY (namespace, queue, worker_id)
);
CREATE INDEX workers_by_last_seen ON workers (last_seen);

-- Which node holds the fence, and since when: the scheduler leader, as its writes record it.
ALTER TABLE scheduler_fence ADD COLUMN holder text NOT NULL DEFAULT '', ADD COLUMN since timestamptz;
