-- The audit trail: one row per change made through the API (written in the change's own
-- transaction) and per security refusal. Append-only: the database refuses to change or remove rows.
CREATE TABLE audit_events (
  seq       bigserial PRIMARY KEY,
  time      timestamptz NOT NULL,
  principal text NOT NULL,
  namespace text,
  action    text NOT NULL,
  target    text,
  result    text NOT NULL,
  detail    text,
  address   text
);
CREATE INDEX audit_events_by_namespace ON audit_events (namespace, seq);
CREATE INDEX audit_events_by_principal ON audit_events (principal, seq);

CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();
