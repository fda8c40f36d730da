-- notification_messages partitioned by UTC day of created_at (issue 24, target 7; docs/performance.md).
--
-- The 7-day purge was one DELETE of every old row: 1.1 s for 1,000,000 rows, and a million dead rows
-- left for VACUUM. Now each UTC day is a partition and the purge detaches and drops whole days
-- (notification_messages_maintain below): a catalog change whatever the number of rows, nothing
-- dead behind.
--
-- What partitioning changes in the data model, and why it stays sound:
--  - Primary key (id, created_at): a unique index on a partitioned table must contain the partition
--    key. Ids are random UUIDs; created_at is part of a message's identity anyway (it is never
--    updated by Herald, and the dedupe hash covers its day).
--  - The daily dedupe: the hash covers the UTC day of created_at (0002, 0022), so two rows with the
--    same hash were always created on the same UTC day, that is in the same partition. A unique
--    index on dedupe_hash in every partition (created with it, notification_messages_add_partition)
--    therefore refuses exactly what the old table-wide unique index refused. PostgreSQL cannot put
--    it on the parent (it would have to contain created_at, which is not the same rule), so
--    Herald's inserts say ON CONFLICT DO NOTHING without a conflict target: the arbiters are the
--    unique indexes of the partition the row lands in (the dedupe hash, and the primary key).
--  - No foreign key points at notification_messages (checked: inbox_notifications, notification_groups
--    .message_id and the delivery history refer to messages by id without a constraint, because a
--    message goes after a week while those rows stay); its own foreign keys to users and templates are
--    kept as they were.
--  - A DEFAULT partition takes any row no day partition covers (a clock far off, a day whose partition
--    was not made yet), so no insert can fail for lack of a partition. Creating a day's partition
--    later first moves that day's rows out of the default partition.
--  - Rows of an old day touched within the week (a retry, a late delivery: updated_at recent) are the
--    reference's "not untouched for a week": before a day is dropped they move to the default
--    partition, where a plain DELETE purges them once they are a week old. A BRIN index on updated_at
--    finds them without reading the day's rows.
--  - History by time: (created_at) index, for the owners' delivery history (newest first); it used to
--    scan and sort the whole table.

-- The old table keeps its data until it is copied; its indexes and constraint names are freed first.
ALTER TABLE notification_messages RENAME TO notification_messages_unpartitioned;
ALTER TABLE notification_messages_unpartitioned RENAME CONSTRAINT notification_messages_pkey TO notification_messages_unpartitioned_pkey;
DROP INDEX notification_messages_dedupe_hash_idx;
DROP INDEX idx_notification_messages_dispatchable;
DROP INDEX idx_notification_messages_group;

CREATE TABLE notification_messages (
    id uuid NOT NULL,
    notification_template_id uuid NOT NULL,
    user_id uuid NOT NULL,
    method notification_method NOT NULL,
    status notification_message_status NOT NULL DEFAULT 'pending',
    status_reason text,
    created_by text NOT NULL,
    payload jsonb NOT NULL,
    attempt_count integer DEFAULT 0,
    targets uuid[],
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz,
    leased_until timestamptz,
    next_retry_after timestamptz,
    queued_seconds double precision,
    dedupe_hash text,
    group_id uuid,
    carries uuid,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);

-- The lease query scans only dispatchable rows, oldest first.
CREATE INDEX idx_notification_messages_dispatchable ON notification_messages (created_at)
    WHERE status IN ('pending', 'temporary_failure', 'leased');
CREATE INDEX idx_notification_messages_group ON notification_messages (group_id) WHERE group_id IS NOT NULL;
-- The delivery history, newest first.
CREATE INDEX idx_notification_messages_created ON notification_messages (created_at);
-- The purge's look for rows of an old day touched within the week (a few summary pages per day).
CREATE INDEX idx_notification_messages_updated_brin ON notification_messages USING brin (updated_at);

CREATE TABLE notification_messages_default PARTITION OF notification_messages DEFAULT;
CREATE UNIQUE INDEX notification_messages_default_dedupe_hash ON notification_messages_default (dedupe_hash);

-- Creates the partition of one UTC day (with its dedupe index), moving in that day's rows from the
-- default partition. Returns false when it already exists.
CREATE FUNCTION notification_messages_add_partition(day date) RETURNS boolean
    LANGUAGE plpgsql AS $$
DECLARE
    part text := 'notification_messages_p' || to_char(day, 'YYYYMMDD');
    lo timestamptz := day::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(part) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE notification_messages INCLUDING DEFAULTS)', part);
    EXECUTE format(
        'WITH moved AS (DELETE FROM notification_messages_default WHERE created_at >= $1 AND created_at < $2 RETURNING *)
         INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
    EXECUTE format('CREATE UNIQUE INDEX %I ON %I (dedupe_hash)', part || '_dedupe_hash', part);
    EXECUTE format('CREATE INDEX %I ON %I USING brin (updated_at)', part || '_updated_brin', part);
    -- Attaching takes a lighter lock on the parent than CREATE TABLE … PARTITION OF: enqueues and
    -- leases go on meanwhile.
    EXECUTE format('ALTER TABLE notification_messages ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
    RETURN true;
END;
$$;

-- The periodic maintenance (one replica at a time, src/notifications/partitions.ts):
--  1. the partitions of today and the next `days_ahead` UTC days exist;
--  2. the BRIN summaries of finished days are up to date (cheap: only pages added since the last run);
--  3. every day partition that ended more than `keep` ago is detached, after its rows touched within
--     `keep` moved to the default partition: from then on its rows are out of the table. The detached
--     table is dropped by notification_messages_drop_detached, in a transaction of its own: removing
--     the files of a million rows takes PostgreSQL's commit some hundreds of milliseconds of disk
--     work, and the table needs no lock for it once its day is detached;
--  4. rows of the default partition untouched for `keep` are deleted.
CREATE FUNCTION notification_messages_maintain(days_ahead integer, keep interval)
    RETURNS TABLE (created integer, dropped integer, moved bigint, deleted bigint)
    LANGUAGE plpgsql AS $$
DECLARE
    today date := (now() AT TIME ZONE 'UTC')::date;
    cutoff timestamptz := now() - keep;
    r record;
    hi timestamptz;
    k bigint;
BEGIN
    created := 0; dropped := 0; moved := 0; deleted := 0;
    FOR i IN 0..days_ahead LOOP
        IF notification_messages_add_partition(today + i) THEN
            created := created + 1;
        END IF;
    END LOOP;
    FOR r IN
        SELECT c.relname::text AS part, to_date(substr(c.relname, 24, 8), 'YYYYMMDD') AS day
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'notification_messages'::regclass AND c.relname ~ '^notification_messages_p[0-9]{8}$'
        ORDER BY 2
    LOOP
        hi := (r.day + 1)::timestamp AT TIME ZONE 'UTC';
        IF hi > now() THEN
            CONTINUE;
        END IF;
        IF hi > cutoff THEN
            IF to_regclass(r.part || '_updated_brin') IS NOT NULL THEN
                PERFORM brin_summarize_new_values(to_regclass(r.part || '_updated_brin'));
            END IF;
            CONTINUE;
        END IF;
        EXECUTE format('ALTER TABLE notification_messages DETACH PARTITION %I', r.part);
        EXECUTE format('INSERT INTO notification_messages_default SELECT * FROM %I WHERE updated_at >= $1', r.part) USING cutoff;
        GET DIAGNOSTICS k = ROW_COUNT;
        moved := moved + k;
        dropped := dropped + 1;
    END LOOP;
    DELETE FROM notification_messages_default WHERE COALESCE(updated_at, created_at) < cutoff;
    GET DIAGNOSTICS k = ROW_COUNT;
    deleted := k;
    RETURN NEXT;
END;
$$;

-- Drops the day tables notification_messages_maintain detached; returns how many.
CREATE FUNCTION notification_messages_drop_detached() RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT c.relname::text AS part FROM pg_class c
        WHERE c.relkind = 'r' AND c.relname ~ '^notification_messages_p[0-9]{8}$' AND NOT c.relispartition
          AND c.relnamespace = (SELECT p.relnamespace FROM pg_class p WHERE p.oid = 'notification_messages'::regclass)
    LOOP
        EXECUTE format('DROP TABLE %I', r.part);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

-- Partitions for the days the existing rows need (the last week and the next few days), then the rows.
SELECT notification_messages_add_partition(d::date)
FROM generate_series(
    LEAST(
        (now() AT TIME ZONE 'UTC')::date,
        GREATEST((SELECT min(created_at AT TIME ZONE 'UTC')::date FROM notification_messages_unpartitioned), (now() AT TIME ZONE 'UTC')::date - 7)),
    (now() AT TIME ZONE 'UTC')::date + 3,
    interval '1 day') AS d;

INSERT INTO notification_messages
    (id, notification_template_id, user_id, method, status, status_reason, created_by, payload, attempt_count,
     targets, created_at, updated_at, leased_until, next_retry_after, queued_seconds, dedupe_hash, group_id, carries)
SELECT id, notification_template_id, user_id, method, status, status_reason, created_by, payload, attempt_count,
       targets, created_at, updated_at, leased_until, next_retry_after, queued_seconds, dedupe_hash, group_id, carries
FROM notification_messages_unpartitioned;

DROP TABLE notification_messages_unpartitioned;

-- Constraints and triggers as before (0002, 0020, 0022, 0130), added after the copy so the rows that
-- were already there (some inhibited by the preferences) are not checked again.
ALTER TABLE notification_messages
    ADD FOREIGN KEY (notification_template_id) REFERENCES notification_templates (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;

CREATE TRIGGER insert_notification_message_dedupe_hash
    BEFORE INSERT ON notification_messages
    FOR EACH ROW WHEN (NEW.dedupe_hash IS NULL)
    EXECUTE FUNCTION compute_notification_message_dedupe_hash();
CREATE TRIGGER update_notification_message_dedupe_hash
    BEFORE UPDATE OF notification_template_id, user_id, method, payload, targets, created_at
    ON notification_messages
    FOR EACH ROW EXECUTE FUNCTION compute_notification_message_dedupe_hash();
CREATE TRIGGER inhibit_enqueue_if_disabled
    AFTER INSERT ON notification_messages
    REFERENCING NEW TABLE AS new_messages
    FOR EACH STATEMENT EXECUTE FUNCTION inhibit_enqueue_if_disabled_stmt();
