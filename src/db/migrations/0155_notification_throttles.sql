-- Exact per-recipient throttles under concurrency (issue 19). The throttle used to count the
-- recipient's messages of the period in the statement's snapshot, so replicas enqueueing at the
-- same moment each saw the same count and each let one more through. Now every enqueue that would
-- send takes its share from one counter row per recipient, template and channel with
-- INSERT … ON CONFLICT DO UPDATE: the row lock orders racing replicas and each sees the count the
-- one before it committed, so exactly throttle_count messages go out per period.
CREATE TABLE notification_throttles (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_template_id uuid NOT NULL REFERENCES notification_templates (id) ON DELETE CASCADE,
    method notification_method NOT NULL,
    -- The period counted: it starts with the first message sent after the previous one ended.
    window_start timestamptz NOT NULL,
    -- The rule when last counted (a changed rule applies from the next enqueue).
    period_seconds integer NOT NULL CHECK (period_seconds > 0),
    max_count integer NOT NULL CHECK (max_count > 0),
    -- Messages sent in the period (≤ max_count).
    sent integer NOT NULL CHECK (sent >= 0),
    -- How many of its candidates the last enqueue to update the row may send (read in its RETURNING).
    granted integer NOT NULL CHECK (granted >= 0),
    PRIMARY KEY (user_id, notification_template_id, method)
);
