-- The PostgreSQL lease in one statement (issue 24, target 4a; src/notifications/dispatch/queries.ts
-- LOCK_AND_READ): the statement locks due messages and then reads the rows it locked through this
-- function. The read must see every result committed before a lock was taken: a message another
-- replica finished (result committed, then unlocked) after the statement's snapshot but before this
-- statement locked it must be seen as finished. A VOLATILE PL/pgSQL function runs each query with a
-- new snapshot in READ COMMITTED (PostgreSQL docs, "Function Volatility Categories"), taken when the
-- query starts: after the function's arguments, the locked ids, are computed, i.e. after every lock.
-- (STABLE or IMMUTABLE would reuse the calling statement's snapshot.)
-- The rows are returned as they are, with the locked id (and no row when a message is gone): the
-- caller applies its own dispatchable conditions to them, so that rule has one copy, in queries.ts.
-- PL/pgSQL rather than SQL: its query's plan is cached for the session, a SQL function's is made
-- again for every calling statement.
-- One primary-key probe per id, whatever the statistics say: a subquery per id, with the id and
-- created_at as its parameters (one day partition, pruned at run time). As a join, with statistics
-- from when the table was empty (ANALYZE of an empty queue, then a burst), the planner walked the
-- whole of today's partition on every lease.
CREATE OR REPLACE FUNCTION notification_messages_read_locked(uuid[], timestamptz[])
RETURNS TABLE (locked_id uuid, m notification_messages)
LANGUAGE plpgsql VOLATILE ROWS 50 AS $$
BEGIN
  RETURN QUERY
    SELECT l.id, (SELECT nm FROM notification_messages nm WHERE nm.id = l.id AND nm.created_at = l.created_at)
    FROM unnest($1, $2) AS l(id, created_at);
END
$$;
