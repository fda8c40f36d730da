import { Type, type Static } from '@sinclair/typebox';
import { DateTime, NameValue, Nullable, PageQuery, SearchQuery, UserParam, Uuid } from './common.js';

// Workspaces and their builds.

export const WorkspaceName = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$' });
export const WorkspaceParam = Type.Object({ workspace: Uuid });
export const BuildParam = Type.Object({ workspacebuild: Uuid });
export const WorkspaceByNameParam = Type.Object({ user: Type.String({ minLength: 1, maxLength: 64 }), name: Type.String() });
export const BuildByNumberParam = Type.Object({
  user: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.String({ minLength: 1, maxLength: 64 }),
  buildnumber: Type.Integer({ minimum: 1, maximum: 2147483647 }),
});
export const AgentParam = Type.Object({ workspaceagent: Uuid });

export const CreateWorkspace = Type.Object({
  name: WorkspaceName,
  template_id: Type.Optional(Uuid),
  template_version_id: Type.Optional(Uuid),
  template_version_preset_id: Type.Optional(Uuid),
  rich_parameter_values: Type.Optional(Type.Array(NameValue, { maxItems: 256 })),
  autostart_schedule: Type.Optional(Type.String({ maxLength: 256 })),
  ttl_ms: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
  automatic_updates: Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('never'), Type.Literal('')])),
});
export type CreateWorkspace = Static<typeof CreateWorkspace>;

export const CreateBuild = Type.Object({
  transition: Type.Union([Type.Literal('start'), Type.Literal('stop'), Type.Literal('delete')]),
  template_version_id: Type.Optional(Uuid),
  template_version_preset_id: Type.Optional(Uuid),
  rich_parameter_values: Type.Optional(Type.Array(NameValue, { maxItems: 256 })),
  dry_run: Type.Optional(Type.Boolean()),
  orphan: Type.Optional(Type.Boolean()),
  log_level: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String({ maxLength: 64 })),
});
export type CreateBuild = Static<typeof CreateBuild>;

export const WorkspaceListQuery = SearchQuery;
export const IncludeDeleted = Type.Object({ include_deleted: Type.Optional(Type.Boolean()) });
export const BuildPageQuery = PageQuery;

export const AppStatus = Type.Object({
  id: Uuid,
  created_at: DateTime,
  workspace_id: Uuid,
  agent_id: Uuid,
  app_id: Uuid,
  state: Type.String(),
  message: Type.String(),
  uri: Type.String(),
  /** Deprecated in the reference; always empty. */
  icon: Type.String(),
  /** Deprecated in the reference; always false. */
  needs_user_attention: Type.Boolean(),
});
export type AppStatus = Static<typeof AppStatus>;

export const ProvisionerJob = Type.Object(
  {
    id: Uuid,
    created_at: DateTime,
    started_at: Nullable(DateTime),
    completed_at: Nullable(DateTime),
    canceled_at: Nullable(DateTime),
    error: Type.String(),
    error_code: Type.String(),
    status: Type.String(),
    worker_id: Nullable(Type.String()),
    organization_id: Uuid,
    initiator_id: Uuid,
    provisioner: Type.String(),
    type: Type.String(),
    input: Type.Unknown(),
    tags: Type.Record(Type.String(), Type.String()),
    file_id: Uuid,
    queue_position: Type.Integer(),
    queue_size: Type.Integer(),
    available_workers: Type.Array(Uuid),
    logs_overflowed: Type.Boolean(),
    metadata: Type.Object({}, { additionalProperties: true }),
  },
);
export type ProvisionerJob = Static<typeof ProvisionerJob>;

/** codersdk.WorkspaceApp, with its latest statuses (newest first). */
export const WorkspaceApp = Type.Object({
  id: Uuid,
  url: Type.String(),
  external: Type.Boolean(),
  slug: Type.String(),
  display_name: Type.String(),
  command: Type.String(),
  icon: Type.String(),
  subdomain: Type.Boolean(),
  subdomain_name: Type.String(),
  sharing_level: Type.String(),
  healthcheck: Type.Object({ url: Type.String(), interval: Type.Integer(), threshold: Type.Integer() }),
  health: Type.String(),
  group: Type.String(),
  hidden: Type.Boolean(),
  open_in: Type.String(),
  tooltip: Type.String(),
  statuses: Type.Array(AppStatus),
});

function WorkspaceAgentSchema() {
  return Type.Object({
    id: Uuid,
    parent_id: Nullable(Uuid),
    created_at: DateTime,
    updated_at: DateTime,
    first_connected_at: Nullable(DateTime),
    last_connected_at: Nullable(DateTime),
    disconnected_at: Nullable(DateTime),
    started_at: Nullable(DateTime),
    ready_at: Nullable(DateTime),
    status: Type.String(),
    lifecycle_state: Type.String(),
    name: Type.String(),
    resource_id: Uuid,
    instance_id: Type.String(),
    architecture: Type.String(),
    environment_variables: Type.Record(Type.String(), Type.String()),
    operating_system: Type.String(),
    logs_length: Type.Integer(),
    logs_overflowed: Type.Boolean(),
    directory: Type.String(),
    expanded_directory: Type.String(),
    version: Type.String(),
    api_version: Type.String(),
    apps: Type.Array(WorkspaceApp),
    latency: Type.Record(Type.String(), Type.Object({ preferred: Type.Boolean(), latency_ms: Type.Number() })),
    connection_timeout_seconds: Type.Integer(),
    troubleshooting_url: Type.String(),
    subsystems: Type.Array(Type.String()),
    health: Type.Object({ healthy: Type.Boolean(), reason: Type.Optional(Type.String()) }),
    display_apps: Type.Array(Type.String()),
    log_sources: Type.Array(Type.Unknown()),
    scripts: Type.Array(Type.Unknown()),
    startup_script_behavior: Type.String(),
    auth_token: Type.Optional(Type.String({ description: 'Shown once, to the owner, in the first answer after the build.' })),
  });
}
/** codersdk.WorkspaceAgent (GET /workspaceagents/{id} never carries auth_token). */
export const WorkspaceAgent = WorkspaceAgentSchema();
export type WorkspaceAgent = Static<typeof WorkspaceAgent>;

/** A resource with its agents and their apps (codersdk.WorkspaceResource, the fields Herald has). */
export const WorkspaceResource = Type.Object(
  {
    id: Uuid,
    created_at: DateTime,
    job_id: Uuid,
    workspace_transition: Type.String(),
    type: Type.String(),
    name: Type.String(),
    hide: Type.Boolean(),
    icon: Type.String(),
    metadata: Type.Array(Type.Object({ key: Type.String(), value: Type.String(), sensitive: Type.Boolean() })),
    daily_cost: Type.Number(),
    agents: Type.Array(WorkspaceAgentSchema()),
  },
);
export type WorkspaceResource = Static<typeof WorkspaceResource>;

/** codersdk.WorkspaceBuild. */
export const WorkspaceBuild = Type.Object({
  id: Uuid,
  created_at: DateTime,
  updated_at: DateTime,
  workspace_id: Uuid,
  workspace_name: Type.String(),
  workspace_owner_id: Uuid,
  workspace_owner_name: Type.String(),
  workspace_owner_avatar_url: Type.String(),
  template_version_id: Uuid,
  template_version_name: Type.String(),
  build_number: Type.Integer(),
  transition: Type.String(),
  initiator_id: Uuid,
  initiator_name: Type.String(),
  job: ProvisionerJob,
  reason: Type.String(),
  resources: Type.Array(WorkspaceResource),
  deadline: Nullable(DateTime),
  max_deadline: Nullable(DateTime),
  status: Type.String(),
  daily_cost: Type.Number(),
  template_version_preset_id: Nullable(Uuid),
  has_ai_task: Nullable(Type.Boolean()),
  ai_task_sidebar_app_id: Nullable(Uuid),
});
export type WorkspaceBuild = Static<typeof WorkspaceBuild>;

/** codersdk.Workspace, with its latest build and latest app status. */
export const Workspace = Type.Object({
  id: Uuid,
  created_at: DateTime,
  updated_at: DateTime,
  owner_id: Uuid,
  owner_name: Type.String(),
  organization_id: Uuid,
  organization_name: Type.String(),
  template_id: Uuid,
  template_name: Type.String(),
  template_display_name: Type.String(),
  template_icon: Type.String(),
  template_active_version_id: Uuid,
  latest_build: Nullable(WorkspaceBuild),
  latest_app_status: Nullable(AppStatus),
  outdated: Type.Boolean(),
  name: Type.String(),
  deleted: Type.Boolean(),
  autostart_schedule: Nullable(Type.String()),
  ttl_ms: Nullable(Type.Integer()),
  last_used_at: DateTime,
  automatic_updates: Type.String(),
  dormant_at: Nullable(DateTime),
  deleting_at: Nullable(DateTime),
  owner_avatar_url: Type.String(),
  template_require_active_version: Type.Boolean(),
  template_allow_user_cancel_workspace_jobs: Type.Boolean(),
  template_use_classic_parameter_flow: Type.Boolean(),
  health: Type.Object({ healthy: Type.Boolean(), failing_agents: Type.Array(Uuid) }),
  favorite: Type.Boolean(),
  next_start_at: Nullable(DateTime),
  allow_renames: Type.Boolean(),
  is_prebuild: Type.Boolean(),
  task_id: Nullable(Uuid),
});
export type Workspace = Static<typeof Workspace>;
export const WorkspaceList = Type.Object({ workspaces: Type.Array(Workspace), count: Type.Integer() });
export type WorkspaceList = Static<typeof WorkspaceList>;

export const BuildLog = Type.Object({
  id: Type.Integer(),
  created_at: DateTime,
  log_source: Type.String(),
  log_level: Type.String(),
  stage: Type.String(),
  output: Type.String(),
});
export type BuildLog = Static<typeof BuildLog>;

/** The stage of the warning lines a claim build writes when its plan replaced resources (prebuilds). */
export const RESOURCE_REPLACEMENTS_STAGE = 'Resource replacements';

/** `?follow` (as the reference: present means follow) turns the request into a WebSocket; `after` skips lines up to that id. */
export const BuildLogsQuery = Type.Object({
  follow: Type.Optional(Type.String({ maxLength: 8, description: 'Present (any value but false): a WebSocket that streams the lines as they are written.' })),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'Only the lines after the one with this id.' })),
});
export type BuildLogsQuery = Static<typeof BuildLogsQuery>;

/** One text frame of the followed logs: one line. */
export const BuildLogFrame = Type.Object(BuildLog.properties, {
  description: 'Switching Protocols (with ?follow): a WebSocket; each text frame is one JSON log line, and the server closes it (1000) once the build has finished.',
});

export const BUILD_LOGS_DESCRIPTION =
  'The log lines of a build, oldest first. With `follow` (send `Connection: Upgrade`, `Upgrade: websocket`), the server sends ' +
  'each line already written and then each new one as its own JSON text frame while the build runs, and closes with 1000 ' +
  'when the build has finished; clients send nothing. A follow request without the upgrade answers 426, and a ' +
  'cookie-authenticated one from another origin 403.';

export const AgentTokenParam = Type.Object({ workspace: Uuid });
export const AgentTokenQuery = Type.Object({ agent: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) });
/** Herald: a rotated agent token, shown once. */
export const AgentToken = Type.Object({ agent_id: Uuid, agent_name: Type.String(), agent_token: Type.String() });
export type AgentToken = Static<typeof AgentToken>;

export const workspaceEndpoints = {
  'POST /workspaces/{workspace}/agent-token': { params: AgentTokenParam, querystring: AgentTokenQuery, response: { 201: AgentToken } },
  'POST /users/{user}/workspaces': { params: UserParam, body: CreateWorkspace, response: { 201: Workspace } },
  'GET /workspaces': { querystring: WorkspaceListQuery, response: { 200: WorkspaceList } },
  'GET /workspaces/{workspace}': { params: WorkspaceParam, querystring: IncludeDeleted, response: { 200: Workspace } },
  'GET /users/{user}/workspace/{name}': { params: WorkspaceByNameParam, querystring: IncludeDeleted, response: { 200: Workspace } },
  'POST /workspaces/{workspace}/builds': { params: WorkspaceParam, body: CreateBuild, response: { 201: WorkspaceBuild } },
  'GET /workspaces/{workspace}/builds': { params: WorkspaceParam, querystring: BuildPageQuery, response: { 200: Type.Array(WorkspaceBuild) } },
  'GET /workspacebuilds/{workspacebuild}': { params: BuildParam, response: { 200: WorkspaceBuild } },
  'GET /workspacebuilds/{workspacebuild}/logs': { params: BuildParam, querystring: BuildLogsQuery, response: { 200: Type.Array(BuildLog), 101: BuildLogFrame } },
  'GET /users/{user}/workspace/{name}/builds/{buildnumber}': { params: BuildByNumberParam, response: { 200: WorkspaceBuild } },
  'GET /workspacebuilds/{workspacebuild}/parameters': { params: BuildParam, response: { 200: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })) } },
  'GET /workspaceagents/{workspaceagent}': { params: AgentParam, response: { 200: WorkspaceAgent } },
} as const;
