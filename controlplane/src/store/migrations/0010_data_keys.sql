-- Encryption at rest: a task's data key, wrapped by a key-encryption key. When set, the task's
-- payload, its runs' payload overrides, outputs and error messages, its logs and its stored
-- callback events are sealed with it.
ALTER TABLE tasks ADD COLUMN data_key bytea;
