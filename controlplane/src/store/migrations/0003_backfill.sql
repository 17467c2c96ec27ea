-- A backfilled run carries the overlap policy its backfill asked for; other runs follow their
-- schedule's (NULL).
ALTER TABLE runs ADD COLUMN overlap_policy text;
