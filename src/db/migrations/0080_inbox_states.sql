-- Inbox states beyond the reference's read/unread (issue 18): archived, and snoozed until a time.
-- Both are additive; NULL keeps a row exactly as the reference sees it.
ALTER TABLE inbox_notifications
    ADD COLUMN archived_at timestamptz,
    ADD COLUMN snoozed_until timestamptz;

-- The due-time sweep on every replica looks up the next snoozed row; only snoozed rows are indexed.
CREATE INDEX idx_inbox_notifications_snoozed_until ON inbox_notifications (snoozed_until)
    WHERE snoozed_until IS NOT NULL;

-- Per-channel preferences: the delivery methods a user turned off for one template. `disabled`
-- (the reference's template_disabled_map) still means every channel off; a template whose every
-- channel is off is stored as disabled = true, so this list never names every channel.
ALTER TABLE notification_preferences
    ADD COLUMN disabled_methods text[] NOT NULL DEFAULT '{}';
