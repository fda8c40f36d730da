-- Enqueue stalls (issue 24, target 4; docs/performance.md, "Why enqueue statements stall"): the
-- statement-level reference check of 0161 locked every template and user an insert names FOR KEY
-- SHARE. With many enqueues in flight for the same user or template, each of them rewrote the same
-- tuple header (a new multixact, a heap lock WAL record and an exclusive lock on the same buffer per
-- statement and parent row). The same guarantee now comes from the lock manager instead:
--  - an insert of messages takes a shared transaction advisory lock (REFERENCE_LOCK_CLASS in
--    src/db/locks.ts, keyed by hashtext of the id) for each template and user it names, then checks
--    that they exist; a new statement snapshot is taken after the lock, so it sees any delete that
--    committed while it waited;
--  - deleting a user or a template first takes the same key exclusively (row trigger), so it waits for
--    every insert naming it to commit, and an insert arriving later waits for the delete and then finds
--    the parent gone (foreign_key_violation). The delete's message cascade (0161) runs after the lock,
--    in a newer snapshot, and so removes the messages of the inserts it waited for;
--  - outside READ COMMITTED (a transaction snapshot that a lock wait cannot refresh) the insert keeps
--    the row locks of 0161, which raise a serialization failure on a concurrent delete; so does a
--    statement naming more than 16 templates and users together (a large batch), which would otherwise
--    take that many entries of the shared lock table (max_locks_per_transaction) where row locks take
--    none. A delete waits for either kind: its row trigger for the advisory locks, the row itself for
--    the row locks.
-- Two keys that collide under hashtext only make one wait for the other.

CREATE OR REPLACE FUNCTION inhibit_enqueue_if_disabled_stmt() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    want integer;
    have integer;
    names integer;
BEGIN
    SELECT count(*) INTO names FROM (
        SELECT notification_template_id FROM new_messages UNION SELECT user_id FROM new_messages) AS n;
    IF names <= 16 AND current_setting('transaction_isolation') = 'read committed' THEN
        PERFORM pg_advisory_xact_lock_shared(1213351238, k)
        FROM (SELECT hashtext(notification_template_id::text) AS k FROM new_messages
              UNION SELECT hashtext(user_id::text) FROM new_messages ORDER BY 1) AS keys;
        SELECT count(DISTINCT notification_template_id) INTO want FROM new_messages;
        SELECT count(*) INTO have FROM notification_templates
        WHERE id IN (SELECT notification_template_id FROM new_messages);
        IF have < want THEN
            RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_notification_template_id_fkey"'
                USING ERRCODE = 'foreign_key_violation', DETAIL = 'A notification template the rows refer to does not exist.';
        END IF;
        SELECT count(DISTINCT user_id) INTO want FROM new_messages;
        SELECT count(*) INTO have FROM users WHERE id IN (SELECT user_id FROM new_messages);
        IF have < want THEN
            RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_user_id_fkey"'
                USING ERRCODE = 'foreign_key_violation', DETAIL = 'A user the rows refer to does not exist.';
        END IF;
    ELSE
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

-- A delete of a referenced row waits for the inserts naming it (their shared locks), before the row
-- goes; the AFTER DELETE statement trigger of 0161 then deletes the messages.
CREATE FUNCTION lock_referenced_row_for_delete() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(1213351238, hashtext(OLD.id::text));
    RETURN OLD;
END;
$$;
CREATE TRIGGER lock_for_delete
    BEFORE DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION lock_referenced_row_for_delete();
CREATE TRIGGER lock_for_delete
    BEFORE DELETE ON notification_templates
    FOR EACH ROW EXECUTE FUNCTION lock_referenced_row_for_delete();
