-- Notification templates, the dispatch queue, preferences and the inbox.

CREATE TYPE notification_message_status AS ENUM (
    'pending', 'leased', 'sent', 'permanent_failure', 'temporary_failure', 'unknown', 'inhibited'
);
CREATE TYPE notification_method AS ENUM ('smtp', 'webhook', 'inbox');
CREATE TYPE notification_template_kind AS ENUM ('system', 'custom');
CREATE TYPE inbox_notification_read_status AS ENUM ('all', 'unread', 'read');

CREATE TABLE notification_templates (
    id uuid PRIMARY KEY,
    name text NOT NULL UNIQUE,
    title_template text NOT NULL,
    body_template text NOT NULL,
    actions jsonb,
    "group" text,
    method notification_method,
    kind notification_template_kind NOT NULL DEFAULT 'system',
    enabled_by_default boolean NOT NULL DEFAULT true
);

CREATE TABLE notification_messages (
    id uuid PRIMARY KEY,
    notification_template_id uuid NOT NULL REFERENCES notification_templates (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
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
    dedupe_hash text
);
CREATE INDEX idx_notification_messages_status ON notification_messages (status);
CREATE UNIQUE INDEX notification_messages_dedupe_hash_idx ON notification_messages (dedupe_hash);
-- The lease query scans only dispatchable rows, oldest first.
CREATE INDEX idx_notification_messages_dispatchable ON notification_messages (created_at)
    WHERE status IN ('pending', 'temporary_failure', 'leased');
CREATE INDEX idx_notification_messages_user ON notification_messages (user_id, created_at DESC);

-- Identical template, user, method, payload and targets are delivered once per UTC day.
CREATE FUNCTION compute_notification_message_dedupe_hash() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.dedupe_hash := MD5(CONCAT_WS(':',
        NEW.notification_template_id,
        NEW.user_id,
        NEW.method,
        NEW.payload::text,
        ARRAY_TO_STRING(NEW.targets, ','),
        DATE_TRUNC('day', NEW.created_at AT TIME ZONE 'UTC')::text
    ));
    RETURN NEW;
END;
$$;
CREATE TRIGGER update_notification_message_dedupe_hash
    BEFORE INSERT OR UPDATE ON notification_messages
    FOR EACH ROW EXECUTE FUNCTION compute_notification_message_dedupe_hash();

CREATE TABLE notification_preferences (
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notification_template_id uuid NOT NULL REFERENCES notification_templates (id) ON DELETE CASCADE,
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, notification_template_id)
);

-- Refuse to enqueue what the user disabled, or an opt-in template the user never enabled.
CREATE FUNCTION inhibit_enqueue_if_disabled() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM notification_templates nt
        LEFT JOIN notification_preferences np
            ON np.notification_template_id = nt.id AND np.user_id = NEW.user_id
        WHERE nt.id = NEW.notification_template_id
          AND (np.disabled = true OR (nt.enabled_by_default = false AND np.notification_template_id IS NULL))
    ) THEN
        RAISE EXCEPTION 'cannot enqueue message: notification is not enabled';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER inhibit_enqueue_if_disabled
    BEFORE INSERT ON notification_messages
    FOR EACH ROW EXECUTE FUNCTION inhibit_enqueue_if_disabled();

CREATE TABLE inbox_notifications (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    template_id uuid NOT NULL REFERENCES notification_templates (id) ON DELETE CASCADE,
    targets uuid[],
    title text NOT NULL,
    content text NOT NULL,
    icon text NOT NULL,
    actions jsonb NOT NULL,
    read_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_inbox_notifications_user_id_read_at ON inbox_notifications (user_id, read_at);
CREATE INDEX idx_inbox_notifications_user_id_template_id_targets ON inbox_notifications (user_id, template_id, targets);
CREATE INDEX idx_inbox_notifications_user_created ON inbox_notifications (user_id, created_at DESC);

CREATE TABLE notification_report_generator_logs (
    notification_template_id uuid PRIMARY KEY,
    last_generated_at timestamptz NOT NULL
);
