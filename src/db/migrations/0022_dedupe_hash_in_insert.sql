-- Enqueue cost (docs/performance.md): the per-row PL/pgSQL trigger that computed the dedupe hash was
-- the largest cost Herald added to a batched INSERT. The hash is now one SQL function that Herald's
-- INSERTs call inline; the trigger stays for any other writer (an INSERT without a hash) and for
-- updates of the hashed columns, so every row still carries the same hash for the same content.
CREATE FUNCTION notification_message_dedupe_hash(
    template_id uuid, user_id uuid, method notification_method, payload jsonb, targets uuid[], created_at timestamptz
) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN MD5(CONCAT_WS(':',
        template_id,
        user_id,
        method,
        payload::text,
        ARRAY_TO_STRING(targets, ','),
        DATE_TRUNC('day', created_at AT TIME ZONE 'UTC')::text
    ));

CREATE OR REPLACE FUNCTION compute_notification_message_dedupe_hash() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.dedupe_hash := notification_message_dedupe_hash(
        NEW.notification_template_id, NEW.user_id, NEW.method, NEW.payload, NEW.targets, NEW.created_at);
    RETURN NEW;
END;
$$;

DROP TRIGGER update_notification_message_dedupe_hash ON notification_messages;
CREATE TRIGGER insert_notification_message_dedupe_hash
    BEFORE INSERT ON notification_messages
    FOR EACH ROW WHEN (NEW.dedupe_hash IS NULL)
    EXECUTE FUNCTION compute_notification_message_dedupe_hash();
CREATE TRIGGER update_notification_message_dedupe_hash
    BEFORE UPDATE OF notification_template_id, user_id, method, payload, targets, created_at
    ON notification_messages
    FOR EACH ROW EXECUTE FUNCTION compute_notification_message_dedupe_hash();
