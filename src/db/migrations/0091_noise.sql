-- Signal over noise (issue 19): burst grouping, throttles, digests and quiet hours as PostgreSQL
-- state between enqueue and dispatch, so every replica agrees and a crash loses nothing.

-- Per-template rules (admin-set). A template without a row (or with every rule off) takes the
-- enqueue fast path: one INSERT, no group.
CREATE TABLE notification_template_rules (
    template_id uuid PRIMARY KEY REFERENCES notification_templates (id) ON DELETE CASCADE,
    -- Burst grouping: 0 = off. The first event of a group goes out at once; the rest are held and
    -- delivered as one grouped message when the window ends.
    window_seconds integer NOT NULL DEFAULT 0 CHECK (window_seconds >= 0),
    -- Label names whose values (with recipient, channel and template) identify a group.
    group_key text[] NOT NULL DEFAULT '{}',
    -- list: the grouped message lists the held events; latest: it is the last event itself (flap guard).
    mode text NOT NULL DEFAULT 'list' CHECK (mode IN ('list', 'latest')),
    -- latest mode: every held event pushes the end of the window out, up to this long after it opened.
    max_window_seconds integer,
    -- Templates that share groups (Task Working / Task Idle); NULL = the template alone.
    family text,
    -- How one held event is named in the grouped message: {label} placeholders.
    item text NOT NULL DEFAULT '{name}',
    group_title_template text,
    group_body_template text,
    group_actions jsonb,
    -- Throttle: at most throttle_count messages per recipient, template and channel per period;
    -- the excess is held for the next group instead of being dropped. NULL = off.
    throttle_count integer CHECK (throttle_count IS NULL OR throttle_count > 0),
    throttle_period_seconds integer CHECK (throttle_period_seconds IS NULL OR throttle_period_seconds > 0),
    -- Critical (the one-time passcode): never grouped, throttled, digested or held for quiet hours.
    critical boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Per-user delivery schedule (user-set): a time zone, quiet hours and a digest. Inbox stays live.
CREATE TABLE notification_user_rules (
    user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    time_zone text NOT NULL DEFAULT 'UTC',
    -- Minutes after local midnight; the window may wrap midnight (22:00–07:00).
    quiet_start smallint CHECK (quiet_start BETWEEN 0 AND 1439),
    quiet_end smallint CHECK (quiet_end BETWEEN 0 AND 1439),
    digest text CHECK (digest IN ('hourly', 'daily')),
    -- Daily digests: minutes after local midnight.
    digest_at smallint NOT NULL DEFAULT 540 CHECK (digest_at BETWEEN 0 AND 1439),
    -- NULL: every template; otherwise only these.
    digest_templates uuid[],
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A group or digest: held events for one recipient and channel, released as one message at due_at.
CREATE TABLE notification_groups (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method notification_method NOT NULL,
    kind text NOT NULL CHECK (kind IN ('group', 'digest')),
    -- group: the template's family (or its id); digest: 'digest'.
    family text NOT NULL,
    key text NOT NULL,
    -- The template of the group's events (NULL for a digest).
    template_id uuid REFERENCES notification_templates (id) ON DELETE CASCADE,
    -- burst | throttle | digest | quiet_hours: why its events were held.
    reason text NOT NULL,
    opened_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    max_due_at timestamptz,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'released')),
    released_at timestamptz,
    -- The message that carried the held events (NULL when nothing was held).
    message_id uuid,
    held_count integer NOT NULL DEFAULT 0
);
-- One open group per recipient, channel and key: replicas racing to open it end up in the same row.
CREATE UNIQUE INDEX notification_groups_open_key ON notification_groups (user_id, method, kind, family, key)
    WHERE status = 'open';
CREATE INDEX notification_groups_open_due ON notification_groups (due_at) WHERE status = 'open';

-- group_id: the group an event opened or was held in; carries: the group a grouped/digest message carries.
ALTER TABLE notification_messages
    ADD COLUMN group_id uuid,
    ADD COLUMN carries uuid;
CREATE INDEX idx_notification_messages_group ON notification_messages (group_id) WHERE group_id IS NOT NULL;

-- The digest message: a real message in the queue and the history.
INSERT INTO notification_templates (id, name, title_template, body_template, actions, "group", method, kind, enabled_by_default) VALUES
('5d3c1a2e-7b9f-4e61-9c8a-2f0e6d4b1a93', 'Notification Digest',
 $tpl${{.Labels.digest_count}} notifications since {{.Labels.digest_since}}$tpl$,
 $tpl$Here is what happened while your notifications were collected ({{.Labels.digest_reason}}):
{{range .Data.group.events}}
- **{{.template}}**: {{.title}}{{end}}
$tpl$,
 $tpl$[{"label": "View notifications", "url": "{{base_url}}/notifications"}]$tpl$::jsonb,
 'Notification Events', NULL, 'system', true);

-- Defaults (issue 19): the four failure templates group for 5 minutes; Task Working/Idle share a
-- 30-second flap guard that delivers only the final state; the one-time passcode is critical.
INSERT INTO notification_template_rules
    (template_id, window_seconds, group_key, mode, max_window_seconds, family, item, group_title_template, group_body_template, group_actions, critical)
VALUES
('2faeee0f-26cb-4e96-821c-85ccb9f71513', 300, '{}', 'list', NULL, NULL, '{name} #{workspace_build_number}',
 $tpl${{.Labels.group_count}} more manual builds failed$tpl$,
 $tpl${{.Labels.group_count}} more builds failed: {{.Labels.group_items}}{{if .Labels.group_more}} and {{.Labels.group_more}} more{{end}}.$tpl$,
 $tpl$[{"label": "View failed workspaces", "url": "{{base_url}}/workspaces?filter=status:failed"}]$tpl$::jsonb, false),
('381df2a9-c0c0-4749-420f-80a9280c66f9', 300, '{}', 'list', NULL, NULL, '{name}',
 $tpl${{.Labels.group_count}} more autobuilds failed$tpl$,
 $tpl${{.Labels.group_count}} more automatic builds of your workspaces failed: {{.Labels.group_items}}{{if .Labels.group_more}} and {{.Labels.group_more}} more{{end}}.$tpl$,
 $tpl$[{"label": "View failed workspaces", "url": "{{base_url}}/workspaces?filter=owner:me+status:failed"}]$tpl$::jsonb, false),
('414d9331-c1fc-4761-b40c-d1f4702279eb', 300, '{}', 'list', NULL, NULL, '{template} / {preset}',
 $tpl${{.Labels.group_count}} more presets reached the prebuild failure limit$tpl$,
 $tpl${{.Labels.group_count}} more presets reached the hard limit of failed prebuild attempts: {{.Labels.group_items}}{{if .Labels.group_more}} and {{.Labels.group_more}} more{{end}}.$tpl$,
 $tpl$[{"label": "View failed prebuilt workspaces", "url": "{{base_url}}/workspaces?filter=owner:prebuilds+status:failed"}]$tpl$::jsonb, false),
('89d9745a-816e-4695-a17f-3d0a229e2b8d', 300, '{}', 'list', NULL, NULL, '{workspace}',
 $tpl${{.Labels.group_count}} more claimed prebuilt workspaces had resources replaced$tpl$,
 $tpl$Resources were replaced in {{.Labels.group_count}} more claimed prebuilt workspaces: {{.Labels.group_items}}{{if .Labels.group_more}} and {{.Labels.group_more}} more{{end}}.$tpl$,
 $tpl$[{"label": "View workspaces", "url": "{{base_url}}/workspaces?filter=template:{{.Labels.template}}"}]$tpl$::jsonb, false),
('bd4b7168-d05e-4e19-ad0f-3593b77aa90f', 30, '{workspace}', 'latest', 300, 'task-status', '{workspace}', NULL, NULL, NULL, false),
('d4a6271c-cced-4ed0-84ad-afd02a9c7799', 30, '{workspace}', 'latest', 300, 'task-status', '{workspace}', NULL, NULL, NULL, false),
('62f86a30-2330-4b61-a26d-311ff3b608cf', 0, '{}', 'list', NULL, NULL, '{name}', NULL, NULL, NULL, true);
