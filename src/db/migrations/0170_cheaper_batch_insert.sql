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

-- 2. The statement-level reference and preference check (0161) reads the transition table once, for its
--    distinct (template, user) pairs, instead of five times (two DISTINCT counts, two semi-joins and the
--    preference join, each over every inserted row). The same rules on the same rows: every template and
--    user named must exist (foreign_key_violation otherwise), both are locked FOR KEY SHARE (templates
--    first, then users, as before), and no pair may be switched off or an opt-in never switched on,
--    unless the template is critical (the guard never depended on the method).
CREATE OR REPLACE FUNCTION inhibit_enqueue_if_disabled_stmt() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    ptids uuid[];
    puids uuid[];
    want integer;
    have integer;
BEGIN
    SELECT array_agg(t), array_agg(u) INTO ptids, puids
    FROM (SELECT DISTINCT notification_template_id AS t, user_id AS u FROM new_messages) AS p;
    IF ptids IS NULL THEN
        RETURN NULL; -- nothing inserted
    END IF;
    SELECT count(DISTINCT t) INTO want FROM unnest(ptids) AS t;
    SELECT count(*) INTO have FROM (
        SELECT 1 FROM notification_templates WHERE id = ANY(ptids) FOR KEY SHARE) AS t;
    IF have < want THEN
        RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_notification_template_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = 'A notification template the rows refer to does not exist.';
    END IF;
    SELECT count(DISTINCT u) INTO want FROM unnest(puids) AS u;
    SELECT count(*) INTO have FROM (
        SELECT 1 FROM users WHERE id = ANY(puids) FOR KEY SHARE) AS u;
    IF have < want THEN
        RAISE EXCEPTION 'insert or update on table "notification_messages" violates foreign key constraint "notification_messages_user_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', DETAIL = 'A user the rows refer to does not exist.';
    END IF;
    IF EXISTS (
        SELECT 1 FROM unnest(ptids, puids) AS n(tid, uid)
        JOIN notification_templates nt ON nt.id = n.tid
        LEFT JOIN notification_preferences np
            ON np.notification_template_id = nt.id AND np.user_id = n.uid
        WHERE NOT nt.critical
          AND (np.disabled = true OR (nt.enabled_by_default = false AND np.notification_template_id IS NULL))
    ) THEN
        RAISE EXCEPTION 'cannot enqueue message: notification is not enabled';
    END IF;
    RETURN NULL;
END;
$$;
