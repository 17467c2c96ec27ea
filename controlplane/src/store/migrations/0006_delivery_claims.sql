-- Claims that a redelivery can supersede, a bounded attempt history, and a lease on notification
-- sends so a send slower than its group window is not claimed twice.
ALTER TABLE callback_deliveries
  -- Attempts made in all; the jsonb history keeps only the latest.
  ADD COLUMN attempt_count integer NOT NULL DEFAULT 0,
  -- Bumped by every claim and redelivery: an attempt is recorded only under the claim it was made in.
  ADD COLUMN claim integer NOT NULL DEFAULT 0,
  -- Backoff counts attempts from here (a redelivery starts it over).
  ADD COLUMN backoff_from integer NOT NULL DEFAULT 0;
UPDATE callback_deliveries SET attempt_count = jsonb_array_length(attempts);

ALTER TABLE notification_rules ADD COLUMN sending_until timestamptz;
