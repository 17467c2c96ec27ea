-- The scheduler leader's fencing token: every scheduler write raises it to the writer's token
-- first, and is refused when a newer leader's token is already there.
CREATE TABLE scheduler_fence (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  token     bigint NOT NULL
);
INSERT INTO scheduler_fence (token) VALUES (0);

-- Which leader's term wrote a run's last scheduler change.
ALTER TABLE runs ADD COLUMN fence_token bigint;
