-- Browser push subscriptions (reference: webpush_subscriptions). One row per browser a user enabled.
CREATE TABLE webpush_subscriptions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    endpoint text NOT NULL,
    endpoint_p256dh_key text NOT NULL,
    endpoint_auth_key text NOT NULL,
    UNIQUE (user_id, endpoint)
);
