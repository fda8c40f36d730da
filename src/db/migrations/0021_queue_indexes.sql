-- Dispatch write cost (docs/performance.md): every lease and every result write is a non-HOT update of
-- the message row (status is in the dispatchable index's predicate), so each one inserts an entry into
-- every index of the table. The plain status index served only the owners' delivery-history filter,
-- which a scan of the table answers in a few milliseconds at 50,000 rows; it cost two index insertions
-- per delivered message.
DROP INDEX IF EXISTS idx_notification_messages_status;
