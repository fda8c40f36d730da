-- Batched enqueue cost (issue 24, target 3b; docs/performance.md "Sixth round"): two exact changes that make
-- a 500-row INSERT into notification_messages cheaper without changing any rule.
--
-- 1. dedupe_hash compares bytewise (COLLATE "C"). It is an MD5 hex digest compared only for equality (the
--    daily unique index in every partition, the grouped path's probe); under the database's collation
--    (e.g. C.UTF-8, which PostgreSQL 15 does not treat as "C") every B-tree comparison went through
--    strcoll on copied strings, about 30 per inserted row (the ON CONFLICT pre-check and the insert).
--    Equality under a deterministic collation is bytewise anyway, so the unique indexes refuse exactly
--    what they refused before. The column's collation is inherited by every partition, and by the
--    partitions made later (CREATE TABLE … LIKE copies it); the hash function's result (default
--    collation) compared with the column takes the column's collation, so the probes still use the
--    indexes. The insert trigger's WHEN clause names the column, hence its drop and re-creation.
DROP TRIGGER insert_notification_message_dedupe_hash ON notification_messages;
ALTER TABLE notification_messages ALTER COLUMN dedupe_hash TYPE text COLLATE "C";
CREATE TRIGGER insert_notification_message_dedupe_hash
    BEFORE INSERT ON notification_messages
    FOR EACH ROW WHEN (NEW.dedupe_hash IS NULL)
    EXECUTE FUNCTION compute_notification_message_dedupe_hash();

-- 2. The statement-level reference and preference check (0161) of a larger statement (more than 16 rows:
--    batched enqueues) reads the transition table twice instead of five times (two DISTINCT counts, two
--    semi-joins and the preference join, each over every inserted row): once for the row count and the
--    distinct templates, once for the distinct users; the other queries look at those few ids. A
--    statement of a few rows (a single enqueue) keeps 0161's queries, which cost less for it. The same
--    rules on the same rows either way: every template and user named must exist (foreign_key_violation
--    otherwise), both are locked FOR KEY SHARE (templates first, then users, as before), and no
--    (template, user) pair of the rows may be switched off or an opt-in never switched on, unless the
--    template is critical (the guard never depended on the method). With one template or one user (every
--    enqueue batch but a mixed one) the pairs of the rows are exactly the templates × the users; otherwise
--    the pairs are read from the rows.
CREATE OR REPLACE FUNCTION inhibit_enqueue_if_disabled_stmt() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    nrows bigint;
    want integer;
    have integer;
    tids uuid[];
    uids uuid[];
BEGIN
    SELECT count(*), count(DISTINCT notification_template_id) INTO nrows, want FROM new_messages;
    IF nrows <= 16 THEN
        -- 0161's checks, unchanged.
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
    END IF;

    SELECT array_agg(DISTINCT notification_template_id), array_agg(DISTINCT user_id) INTO tids, uids FROM new_messages;
    SELECT count(*) INTO have FROM (
        SELECT 1 FROM notification_templates WHERE id = ANY(tids) FOR KEY SHARE) AS t;
    IF have < cardinality(tids) THEN
        RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_notification_template_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = 'A notification template the rows refer to does not exist.';
    END IF;
    SELECT count(*) INTO have FROM (
        SELECT 1 FROM users WHERE id = ANY(uids) FOR KEY SHARE) AS u;
    IF have < cardinality(uids) THEN
        RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_user_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = 'A user the rows refer to does not exist.';
    END IF;
    IF cardinality(tids) = 1 OR cardinality(uids) = 1 THEN
        IF EXISTS (
            SELECT 1 FROM unnest(tids) AS t(tid) CROSS JOIN unnest(uids) AS u(uid)
            JOIN notification_templates nt ON nt.id = t.tid
            LEFT JOIN notification_preferences np
                ON np.notification_template_id = nt.id AND np.user_id = u.uid
            WHERE NOT nt.critical
              AND (np.disabled = true OR (nt.enabled_by_default = false AND np.notification_template_id IS NULL))
        ) THEN
            RAISE EXCEPTION 'cannot enqueue message: notification is not enabled';
        END IF;
    ELSIF EXISTS (
        SELECT 1 FROM (SELECT DISTINCT notification_template_id, user_id FROM new_messages) AS p
        JOIN notification_templates nt ON nt.id = p.notification_template_id
        LEFT JOIN notification_preferences np
            ON np.notification_template_id = nt.id AND np.user_id = p.user_id
        WHERE NOT nt.critical
          AND (np.disabled = true OR (nt.enabled_by_default = false AND np.notification_template_id IS NULL))
    ) THEN
        RAISE EXCEPTION 'cannot enqueue message: notification is not enabled';
    END IF;
    RETURN NULL;
END;
$$;
