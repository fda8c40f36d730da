-- Per-template routing to the destinations users own (issue 20: "the per-channel preferences grid
-- includes each destination"). One row per (destination, template) the user chose; no row means the
-- default: on when the admin set the template's method to `destination`, off otherwise (opt-in).
-- A deleted destination takes its choices with it.
CREATE TABLE notification_destination_routes (
    destination_id uuid NOT NULL REFERENCES user_destinations (id) ON DELETE CASCADE,
    notification_template_id uuid NOT NULL REFERENCES notification_templates (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    enabled boolean NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (destination_id, notification_template_id)
);
-- The enqueuer asks, per recipient, which templates are routed to one of their destinations.
CREATE INDEX notification_destination_routes_user_idx ON notification_destination_routes (user_id, notification_template_id) WHERE enabled;
