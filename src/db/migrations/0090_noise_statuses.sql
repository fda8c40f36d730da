-- Signal over noise (issue 19): two message statuses, in a migration of their own because a new
-- enum value cannot be used in the transaction that adds it.
--   held     an event waiting in a group or digest (not dispatchable)
--   grouped  an event that was delivered as part of the group/digest message named by its group
ALTER TYPE notification_message_status ADD VALUE IF NOT EXISTS 'held';
ALTER TYPE notification_message_status ADD VALUE IF NOT EXISTS 'grouped';
