-- The workspace platform: templates and versions (parameters, presets), workspaces and builds,
-- provisioner jobs and keys, resources, agents, apps and app statuses.

CREATE TYPE provisioner_job_status AS ENUM ('pending', 'running', 'succeeded', 'failed', 'canceled');
CREATE TYPE provisioner_job_type AS ENUM ('template_version_import', 'workspace_build');
CREATE TYPE workspace_transition AS ENUM ('start', 'stop', 'delete');
CREATE TYPE build_reason AS ENUM ('initiator', 'autostart', 'autostop', 'dormancy', 'failedstop', 'autodelete');
CREATE TYPE prebuild_status AS ENUM ('healthy', 'hard_limited', 'validation_failed');
CREATE TYPE workspace_app_status_state AS ENUM ('working', 'complete', 'failure', 'idle');
CREATE TYPE workspace_agent_lifecycle_state AS ENUM (
    'created', 'starting', 'start_timeout', 'start_error', 'ready',
    'shutting_down', 'shutdown_timeout', 'shutdown_error', 'off'
);

CREATE TABLE templates (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    icon text NOT NULL DEFAULT '',
    active_version_id uuid NOT NULL,
    -- Empty: not deprecated; otherwise the deprecation message.
    deprecated text NOT NULL DEFAULT '',
    deleted boolean NOT NULL DEFAULT false,
    created_by uuid NOT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX idx_templates_name_lower ON templates (organization_id, lower(name)) WHERE deleted = false;

CREATE TABLE template_versions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- NULL until a template is created from the version.
    template_id uuid REFERENCES templates (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL,
    message varchar(1048576) NOT NULL DEFAULT '',
    readme text NOT NULL DEFAULT '',
    -- What the provisioner does for builds of this version (see src/platform/provisioner/definition.ts).
    definition jsonb NOT NULL DEFAULT '{}'::jsonb,
    archived boolean NOT NULL DEFAULT false,
    created_by uuid NOT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX idx_template_versions_name ON template_versions (template_id, lower(name)) WHERE template_id IS NOT NULL;
CREATE INDEX idx_template_versions_template ON template_versions (template_id, created_at);

ALTER TABLE templates ADD CONSTRAINT templates_active_version_id_fkey
    FOREIGN KEY (active_version_id) REFERENCES template_versions (id);

CREATE TABLE template_version_parameters (
    template_version_id uuid NOT NULL REFERENCES template_versions (id) ON DELETE CASCADE,
    name text NOT NULL,
    display_name text NOT NULL DEFAULT '',
    description text NOT NULL DEFAULT '',
    type text NOT NULL DEFAULT 'string' CHECK (type IN ('string', 'number', 'bool', 'list(string)')),
    mutable boolean NOT NULL DEFAULT true,
    default_value text NOT NULL DEFAULT '',
    icon text NOT NULL DEFAULT '',
    options jsonb NOT NULL DEFAULT '[]'::jsonb,
    validation_regex text NOT NULL DEFAULT '',
    validation_min integer,
    validation_max integer,
    validation_error text NOT NULL DEFAULT '',
    validation_monotonic text NOT NULL DEFAULT '',
    required boolean NOT NULL DEFAULT false,
    ephemeral boolean NOT NULL DEFAULT false,
    display_order integer NOT NULL DEFAULT 0,
    PRIMARY KEY (template_version_id, name)
);

CREATE TABLE template_version_presets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    template_version_id uuid NOT NULL REFERENCES template_versions (id) ON DELETE CASCADE,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    desired_instances integer,
    invalidate_after_secs integer DEFAULT 0,
    prebuild_status prebuild_status NOT NULL DEFAULT 'healthy',
    scheduling_timezone text NOT NULL DEFAULT '',
    is_default boolean NOT NULL DEFAULT false,
    description varchar(128) NOT NULL DEFAULT '',
    icon varchar(256) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX idx_template_version_presets_name ON template_version_presets (template_version_id, name);
CREATE UNIQUE INDEX idx_template_version_presets_default ON template_version_presets (template_version_id) WHERE is_default = true;

CREATE TABLE template_version_preset_parameters (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    template_version_preset_id uuid NOT NULL REFERENCES template_version_presets (id) ON DELETE CASCADE,
    name text NOT NULL,
    value text NOT NULL
);
CREATE INDEX idx_template_version_preset_parameters_preset ON template_version_preset_parameters (template_version_preset_id);

CREATE TABLE workspaces (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    owner_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
    template_id uuid NOT NULL REFERENCES templates (id) ON DELETE RESTRICT,
    name text NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    autostart_schedule text,
    ttl bigint,
    last_used_at timestamptz NOT NULL DEFAULT now(),
    dormant_at timestamptz,
    deleting_at timestamptz,
    automatic_updates text NOT NULL DEFAULT 'never'
);
CREATE UNIQUE INDEX workspaces_owner_id_lower_idx ON workspaces (owner_id, lower(name)) WHERE deleted = false;
CREATE INDEX idx_workspaces_template ON workspaces (template_id) WHERE deleted = false;

CREATE TABLE provisioner_keys (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name varchar(64) NOT NULL,
    -- The key is "<token_id>-<secret>"; only a hash of the secret is kept.
    token_id text NOT NULL UNIQUE,
    hashed_secret bytea NOT NULL,
    tags jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_by uuid REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX provisioner_keys_organization_id_name_idx ON provisioner_keys (organization_id, lower(name));

CREATE TABLE provisioner_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    canceled_at timestamptz,
    completed_at timestamptz,
    -- Refreshed by the runner while it works; a running job whose heartbeat is too old is failed.
    heartbeat_at timestamptz,
    status provisioner_job_status NOT NULL DEFAULT 'pending',
    error text,
    error_code text,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    initiator_id uuid NOT NULL REFERENCES users (id),
    provisioner text NOT NULL CHECK (provisioner IN ('builtin', 'external')),
    type provisioner_job_type NOT NULL,
    input jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- What the runner reported on completion (plan JSON, replacements …).
    result jsonb,
    tags jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- Who runs it: 'builtin:<replica>' or the provisioner key id.
    worker_id text,
    provisioner_key_id uuid REFERENCES provisioner_keys (id) ON DELETE SET NULL
);
CREATE INDEX idx_provisioner_jobs_pending ON provisioner_jobs (provisioner, organization_id, created_at) WHERE status = 'pending';
CREATE INDEX idx_provisioner_jobs_running ON provisioner_jobs (heartbeat_at) WHERE status = 'running';

CREATE TABLE provisioner_job_logs (
    id bigserial PRIMARY KEY,
    job_id uuid NOT NULL REFERENCES provisioner_jobs (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    source text NOT NULL DEFAULT 'provisioner' CHECK (source IN ('provisioner_daemon', 'provisioner')),
    level text NOT NULL DEFAULT 'info' CHECK (level IN ('trace', 'debug', 'info', 'warn', 'error')),
    stage varchar(128) NOT NULL DEFAULT '',
    output varchar(1048576) NOT NULL
);
CREATE INDEX idx_provisioner_job_logs_job ON provisioner_job_logs (job_id, id);

CREATE TABLE workspace_builds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    template_version_id uuid NOT NULL REFERENCES template_versions (id),
    build_number integer NOT NULL,
    transition workspace_transition NOT NULL,
    initiator_id uuid NOT NULL REFERENCES users (id),
    provisioner_state bytea,
    job_id uuid NOT NULL UNIQUE REFERENCES provisioner_jobs (id) ON DELETE CASCADE,
    deadline timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    max_deadline timestamptz NOT NULL DEFAULT '0001-01-01 00:00:00+00',
    reason build_reason NOT NULL DEFAULT 'initiator',
    daily_cost integer NOT NULL DEFAULT 0,
    template_version_preset_id uuid REFERENCES template_version_presets (id) ON DELETE SET NULL,
    -- Prebuilds: 'create' for a build of a prebuilt workspace, 'claim' when a user claims one.
    prebuild_stage text NOT NULL DEFAULT 'none' CHECK (prebuild_stage IN ('none', 'create', 'claim')),
    has_ai_task boolean,
    ai_task_sidebar_app_id uuid,
    CONSTRAINT workspace_builds_workspace_id_build_number_key UNIQUE (workspace_id, build_number),
    CONSTRAINT workspace_builds_ai_task_sidebar_app_id_required CHECK (
        ((has_ai_task IS NULL OR has_ai_task = false) AND ai_task_sidebar_app_id IS NULL)
        OR (has_ai_task = true AND ai_task_sidebar_app_id IS NOT NULL)
    )
);
CREATE INDEX idx_workspace_builds_preset ON workspace_builds (template_version_preset_id) WHERE template_version_preset_id IS NOT NULL;

CREATE TABLE workspace_build_parameters (
    workspace_build_id uuid NOT NULL REFERENCES workspace_builds (id) ON DELETE CASCADE,
    name text NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (workspace_build_id, name)
);

CREATE TABLE workspace_resources (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    job_id uuid NOT NULL REFERENCES provisioner_jobs (id) ON DELETE CASCADE,
    transition workspace_transition NOT NULL,
    type varchar(192) NOT NULL,
    name varchar(64) NOT NULL,
    hide boolean NOT NULL DEFAULT false,
    icon varchar(256) NOT NULL DEFAULT '',
    instance_type varchar(256),
    daily_cost integer NOT NULL DEFAULT 0,
    metadata jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX idx_workspace_resources_job ON workspace_resources (job_id);

CREATE TABLE workspace_agents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    name varchar(64) NOT NULL,
    resource_id uuid NOT NULL REFERENCES workspace_resources (id) ON DELETE CASCADE,
    -- sha256 of the agent token; the token itself is only shown to the workspace owner once.
    auth_token_hash bytea NOT NULL,
    auth_token_pending text,
    lifecycle_state workspace_agent_lifecycle_state NOT NULL DEFAULT 'created',
    first_connected_at timestamptz,
    last_connected_at timestamptz,
    operating_system varchar(64) NOT NULL DEFAULT 'linux',
    architecture varchar(64) NOT NULL DEFAULT 'amd64',
    directory varchar(4096) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX workspace_agents_auth_token_hash_idx ON workspace_agents (auth_token_hash);
CREATE INDEX idx_workspace_agents_resource ON workspace_agents (resource_id);

CREATE TABLE workspace_apps (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    agent_id uuid NOT NULL REFERENCES workspace_agents (id) ON DELETE CASCADE,
    slug text NOT NULL,
    display_name varchar(64) NOT NULL DEFAULT '',
    icon varchar(256) NOT NULL DEFAULT '',
    command varchar(65534),
    url varchar(65534),
    external boolean NOT NULL DEFAULT false,
    subdomain boolean NOT NULL DEFAULT false,
    sharing_level text NOT NULL DEFAULT 'owner',
    health text NOT NULL DEFAULT 'disabled',
    hidden boolean NOT NULL DEFAULT false,
    open_in text NOT NULL DEFAULT 'slim-window',
    display_order integer NOT NULL DEFAULT 0,
    CONSTRAINT workspace_apps_agent_id_slug_idx UNIQUE (agent_id, slug)
);

ALTER TABLE workspace_builds ADD CONSTRAINT workspace_builds_ai_task_sidebar_app_id_fkey
    FOREIGN KEY (ai_task_sidebar_app_id) REFERENCES workspace_apps (id);

CREATE TABLE workspace_app_statuses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now(),
    agent_id uuid NOT NULL REFERENCES workspace_agents (id) ON DELETE CASCADE,
    app_id uuid NOT NULL REFERENCES workspace_apps (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    state workspace_app_status_state NOT NULL,
    message text NOT NULL,
    uri text
);
CREATE INDEX workspace_app_statuses_workspace_id_created_at_idx ON workspace_app_statuses (workspace_id, created_at DESC);
CREATE INDEX workspace_app_statuses_app_id_created_at_idx ON workspace_app_statuses (app_id, created_at DESC, id DESC);
