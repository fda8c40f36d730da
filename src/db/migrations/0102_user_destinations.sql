-- Destinations users add themselves (issue 20): their own Slack/Teams/Discord webhook, a signed
-- generic webhook or an ntfy topic. The URL (its path holds the service's token) and the signing
-- secret are stored sealed (AES-256-GCM, lib/secrets.ts); url_display is what the API shows.
ALTER TYPE notification_method ADD VALUE IF NOT EXISTS 'destination';

CREATE TABLE user_destinations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('slack', 'teams', 'discord', 'webhook', 'ntfy')),
    name text NOT NULL DEFAULT '',
    url_sealed text NOT NULL,
    url_display text NOT NULL,
    secret_sealed text,
    status text NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'active', 'disabled')),
    disabled_reason text NOT NULL DEFAULT '',
    verification_code_hash text,
    verification_expires_at timestamptz,
    verification_attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    verified_at timestamptz
);
CREATE INDEX user_destinations_user_idx ON user_destinations (user_id);
