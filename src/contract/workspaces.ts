import { Type, type Static } from '@sinclair/typebox';
import { DateTime, NameValue, Nullable, PageQuery, SearchQuery, UserParam, Uuid } from './common.js';

// Workspaces and their builds.

export const WorkspaceName = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$' });
export const WorkspaceParam = Type.Object({ workspace: Uuid });
export const BuildParam = Type.Object({ workspacebuild: Uuid });
export const WorkspaceByNameParam = Type.Object({ user: Type.String({ minLength: 1, maxLength: 64 }), name: Type.String() });

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
    provisioner: Type.String(),
    type: Type.String(),
    input: Type.Unknown(),
    tags: Type.Record(Type.String(), Type.String()),
  },
);
export type ProvisionerJob = Static<typeof ProvisionerJob>;

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
    agents: Type.Array(
      Type.Object(
        {
          id: Uuid,
          name: Type.String(),
          status: Type.String(),
          lifecycle_state: Type.String(),
          auth_token: Type.Optional(Type.String({ description: 'Shown once, to the owner, in the first answer after the build.' })),
          apps: Type.Array(Type.Object({ id: Uuid, slug: Type.String(), statuses: Type.Array(AppStatus) }, { additionalProperties: true })),
        },
        { additionalProperties: true },
      ),
    ),
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
  'GET /workspacebuilds/{workspacebuild}/logs': { params: BuildParam, response: { 200: Type.Array(BuildLog) } },
} as const;
