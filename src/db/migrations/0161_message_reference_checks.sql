-- Enqueue cost (issue 24, target 3; docs/performance.md): the two foreign keys of notification_messages
-- (to users and notification_templates) ran one SPI query per inserted row each, ~25 % of a 500-row
-- enqueueMany statement. The same rules are now checked once per statement, in the statement-level
-- trigger that already checks the recipient's preferences over the same transition table:
--  - every template and user an inserted (or re-pointed) row names exists, else the statement fails
--    with foreign_key_violation, as before;
--  - those template and user rows are locked FOR KEY SHARE, as a foreign key locks them, so a
--    concurrent delete of one waits for the insert's transaction and then removes its messages;
--  - deleting a user or a template deletes its messages (ON DELETE CASCADE before), one statement per
--    delete statement;
--  - their ids cannot change while messages point at them (the foreign keys' NO ACTION on update).
-- Rows moved by the partition maintenance (0160) are inserted into a partition directly and were
-- checked when first written.

ALTER TABLE notification_messages DROP CONSTRAINT IF EXISTS notification_messages_notification_template_id_fkey;
ALTER TABLE notification_messages DROP CONSTRAINT IF EXISTS notification_messages_user_id_fkey;

-- On insert: the same reference checks, then the preference guard (0020, 0130), in the one trigger
-- call an INSERT statement already made.
CREATE OR REPLACE FUNCTION inhibit_enqueue_if_disabled_stmt() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    want integer;
    have integer;
BEGIN
    SELECT count(DISTINCT notification_template_id) INTO want FROM new_messages;
    SELECT count(*) INTO have FROM (
        SELECT 1 FROM notification_templates
        WHERE id IN (SELECT notification_template_id FROM new_messages)
        FOR KEY SHARE) AS t;
    IF have < want THEN
        RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_notification_template_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = 'A notification template the rows refer to does not exist.';
    END IF;
    SELECT count(DISTINCT user_id) INTO want FROM new_messages;
    SELECT count(*) INTO have FROM (
        SELECT 1 FROM users
        WHERE id IN (SELECT user_id FROM new_messages)
        FOR KEY SHARE) AS u;
    IF have < want THEN
        RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_user_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = 'A user the rows refer to does not exist.';
    END IF;
    IF EXISTS (
        SELECT 1 FROM new_messages n
        JOIN notification_templates nt ON nt.id = n.notification_template_id
        LEFT JOIN notification_preferences np
            ON np.notification_template_id = nt.id AND np.user_id = n.user_id
        WHERE NOT nt.critical
          AND (np.disabled = true OR (nt.enabled_by_default = false AND np.notification_template_id IS NULL))
    ) THEN
        RAISE EXCEPTION 'cannot enqueue message: notification is not enabled';
    END IF;
    RETURN NULL;
END;
$$;

-- Re-pointing a message at another template or user (nothing in Herald does) checks the new reference.
CREATE FUNCTION check_notification_message_reference() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM notification_templates WHERE id = NEW.notification_template_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_notification_template_id_fkey"'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    PERFORM 1 FROM users WHERE id = NEW.user_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_user_id_fkey"'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER check_notification_message_reference
    AFTER UPDATE OF notification_template_id, user_id ON notification_messages
    FOR EACH ROW WHEN (OLD.notification_template_id IS DISTINCT FROM NEW.notification_template_id OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION check_notification_message_reference();

-- ON DELETE CASCADE, per statement.
CREATE FUNCTION delete_messages_of_deleted_users() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM notification_messages WHERE user_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END;
$$;
CREATE TRIGGER delete_notification_messages
    AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION delete_messages_of_deleted_users();

CREATE FUNCTION delete_messages_of_deleted_templates() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM notification_messages WHERE notification_template_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END;
$$;
CREATE TRIGGER delete_notification_messages
    AFTER DELETE ON notification_templates
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION delete_messages_of_deleted_templates();

-- NO ACTION on update of a referenced id.
CREATE FUNCTION refuse_referenced_id_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM notification_messages WHERE user_id = OLD.id OR notification_template_id = OLD.id) THEN
        RAISE EXCEPTION 'update on table "%" violates foreign key constraint of table "notification_messages"', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER refuse_id_change
    BEFORE UPDATE OF id ON users
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION refuse_referenced_id_change();
CREATE TRIGGER refuse_id_change
    BEFORE UPDATE OF id ON notification_templates
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION refuse_referenced_id_change();
