-- Time-driven events (issue 21): template schedule options, autostop reminders, the lifecycle
-- executor's tick log, agent resource monitors, and the templates they raise.

-- Template schedule (the reference's columns; durations in nanoseconds like theirs).
ALTER TABLE templates
    ADD COLUMN default_ttl bigint NOT NULL DEFAULT 0,
    ADD COLUMN activity_bump bigint NOT NULL DEFAULT 3600000000000,
    ADD COLUMN allow_user_autostart boolean NOT NULL DEFAULT true,
    ADD COLUMN allow_user_autostop boolean NOT NULL DEFAULT true,
    -- Bitmap, Monday = bit 0 … Sunday = bit 6.
    ADD COLUMN autostop_requirement_days_of_week smallint NOT NULL DEFAULT 0,
    ADD COLUMN autostop_requirement_weeks bigint NOT NULL DEFAULT 1,
    -- The inverse of the allowed autostart days (0: every day allowed).
    ADD COLUMN autostart_block_days_of_week smallint NOT NULL DEFAULT 0,
    ADD COLUMN failure_ttl bigint NOT NULL DEFAULT 0,
    ADD COLUMN time_til_dormant bigint NOT NULL DEFAULT 0,
    ADD COLUMN time_til_dormant_autodelete bigint NOT NULL DEFAULT 0,
    ADD COLUMN require_active_version boolean NOT NULL DEFAULT false,
    -- Lead window of the autostop reminder (0: no reminder).
    ADD COLUMN time_til_autostop_notify bigint NOT NULL DEFAULT 0;

-- The deadline a reminder was sent for: one reminder per deadline (a bump re-arms it).
ALTER TABLE workspace_builds ADD COLUMN notified_autostop_deadline timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00';


-- One row per executed tick (the minute it stands for): a tick another replica already ran is skipped.
CREATE TABLE lifecycle_executor_ticks (
    tick timestamptz PRIMARY KEY,
    replica text NOT NULL,
    ran_at timestamptz NOT NULL DEFAULT now()
);

-- Agent resource monitors (the reference's tables).
CREATE TYPE workspace_agent_monitor_state AS ENUM ('OK', 'NOK');

CREATE TABLE workspace_agent_memory_resource_monitors (
    agent_id uuid PRIMARY KEY REFERENCES workspace_agents (id) ON DELETE CASCADE,
    enabled boolean NOT NULL,
    threshold integer NOT NULL,
    state workspace_agent_monitor_state NOT NULL DEFAULT 'OK',
    debounced_until timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE workspace_agent_volume_resource_monitors (
    agent_id uuid NOT NULL REFERENCES workspace_agents (id) ON DELETE CASCADE,
    path text NOT NULL,
    enabled boolean NOT NULL,
    threshold integer NOT NULL,
    state workspace_agent_monitor_state NOT NULL DEFAULT 'OK',
    debounced_until timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, path)
);

INSERT INTO notification_templates (id, name, title_template, body_template, actions, "group", method, kind, enabled_by_default) VALUES
-- Herald's own id: the reference added the reminder after the pinned commit.
('7a3c1e9b-5d2f-4b8a-9c6e-1f0d2b3a4c5d', 'Workspace Autostop Reminder',
 $tpl$Workspace "{{.Labels.workspace}}" will stop soon$tpl$,
 $tpl$Your workspace **{{.Labels.workspace}}** will be stopped automatically {{.Labels.timeTilShutdown}}.

Use the workspace to extend its deadline, or change its schedule.$tpl$,
 $tpl$[{"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Workspace Events', NULL, 'system', true),
('2a74f3d3-ab09-4123-a4a5-ca238f4f65a1', 'Task Paused',
 $tpl$Task '{{.Labels.task}}' is paused$tpl$,
 $tpl$The task '{{.Labels.task}}' was paused ({{.Labels.pause_reason}}).$tpl$,
 $tpl$[{"label": "View task", "url": "{{base_url}}/tasks/{{.UserUsername}}/{{.Labels.task_id}}"}, {"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Task Events', NULL, 'system', true),
('843ee9c3-a8fb-4846-afa9-977bec578649', 'Task Resumed',
 $tpl$Task '{{.Labels.task}}' has resumed$tpl$,
 $tpl$The task '{{.Labels.task}}' has resumed.$tpl$,
 $tpl$[{"label": "View task", "url": "{{base_url}}/tasks/{{.UserUsername}}/{{.Labels.task_id}}"}, {"label": "View workspace", "url": "{{base_url}}/@{{.UserUsername}}/{{.Labels.workspace}}"}]$tpl$::jsonb,
 'Task Events', NULL, 'system', true);
