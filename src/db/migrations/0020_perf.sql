-- Dispatch and enqueue hot-path costs (docs/performance.md).

-- The dedupe hash depends only on these columns: recompute it when one of them changes, not on
-- every lease and status update (the hash of an unchanged row is the same).
DROP TRIGGER update_notification_message_dedupe_hash ON notification_messages;
CREATE TRIGGER update_notification_message_dedupe_hash
    BEFORE INSERT OR UPDATE OF notification_template_id, user_id, method, payload, targets, created_at
    ON notification_messages
    FOR EACH ROW EXECUTE FUNCTION compute_notification_message_dedupe_hash();

-- The preference guard checks a whole INSERT at once (one query per statement instead of one per
-- row); a disabled row still aborts the statement with the same error.
CREATE FUNCTION inhibit_enqueue_if_disabled_stmt() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM new_messages n
        JOIN notification_templates nt ON nt.id = n.notification_template_id
        LEFT JOIN notification_preferences np
            ON np.notification_template_id = nt.id AND np.user_id = n.user_id
        WHERE np.disabled = true OR (nt.enabled_by_default = false AND np.notification_template_id IS NULL)
    ) THEN
        RAISE EXCEPTION 'cannot enqueue message: notification is not enabled';
    END IF;
    RETURN NULL;
END;
$$;
DROP TRIGGER inhibit_enqueue_if_disabled ON notification_messages;
CREATE TRIGGER inhibit_enqueue_if_disabled
    AFTER INSERT ON notification_messages
    REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION inhibit_enqueue_if_disabled_stmt();
