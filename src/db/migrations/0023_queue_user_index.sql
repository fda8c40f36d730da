-- Dispatch and enqueue write cost (docs/performance.md): every enqueued row and every result write
-- (a non-HOT update) inserts an entry into each index of notification_messages. The (user_id,
-- created_at) index served only the owners' delivery-history filter by user, and cascading deletes
-- of users, which Herald never runs (users are soft-deleted); a scan answers that filter in a few
-- milliseconds at 50,000 rows.
DROP INDEX IF EXISTS idx_notification_messages_user;
