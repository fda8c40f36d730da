import { Type, type Static } from '@sinclair/typebox';
import { TemplateScheduleFields } from './lifecycle.js';
import { DateTime, MessageResponse, NameValue, Nullable, OrgParam, Uuid } from './common.js';
import { ProvisionerJob } from './workspaces.js';

// Templates, their versions, rich parameters and presets.

/** The rich parameter that carries an AI task's prompt (the reference's "AI Prompt"). */
export const AI_PROMPT_PARAMETER = 'AI Prompt';

export const TemplateName = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$' });
export const VersionName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-zA-Z0-9._-]+$' });
export const TemplateIdParam = Type.Object({ id: Uuid });
export const VersionParam = Type.Object({ templateversion: Uuid });
export const TemplateByNameParam = Type.Object({ organization: Type.String({ minLength: 1, maxLength: 64 }), name: Type.String() });
export const VersionByNameParam = Type.Object({
  organization: Type.String({ minLength: 1, maxLength: 64 }),
  name: Type.String({ minLength: 1, maxLength: 64 }),
  versionname: Type.String({ minLength: 1, maxLength: 64 }),
});
/** codersdk.UploadResponse: the id of the stored file (the reference names it hash). */
export const UploadResponse = Type.Object({ hash: Uuid });

const ParameterType = Type.Union([Type.Literal('string'), Type.Literal('number'), Type.Literal('bool'), Type.Literal('list(string)')]);
const Monotonic = Type.Union([Type.Literal(''), Type.Literal('increasing'), Type.Literal('decreasing')]);
const ParameterOption = Type.Object({
  name: Type.String({ maxLength: 128 }),
  value: Type.String({ maxLength: 4096 }),
  description: Type.Optional(Type.String({ maxLength: 4096 })),
  icon: Type.Optional(Type.String({ maxLength: 256 })),
});

/** A rich parameter as a new version declares it. */
export const ParameterInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    display_name: Type.Optional(Type.String({ maxLength: 128 })),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    type: Type.Optional(ParameterType),
    mutable: Type.Optional(Type.Boolean()),
    default_value: Type.Optional(Type.String({ maxLength: 65536 })),
    icon: Type.Optional(Type.String({ maxLength: 256 })),
    options: Type.Optional(Type.Array(ParameterOption, { maxItems: 64 })),
    validation_regex: Type.Optional(Type.String({ maxLength: 1024 })),
    validation_min: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    validation_max: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    validation_error: Type.Optional(Type.String({ maxLength: 1024 })),
    validation_monotonic: Type.Optional(Monotonic),
    required: Type.Optional(Type.Boolean()),
    ephemeral: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ParameterInput = Static<typeof ParameterInput>;

/** A preset as a new version declares it. */
export const PresetInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    parameters: Type.Optional(Type.Array(NameValue, { maxItems: 128 })),
    desired_instances: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 1000 }), Type.Null()])),
    invalidate_after_secs: Type.Optional(Type.Integer({ minimum: 0 })),
    scheduling_timezone: Type.Optional(Type.String({ maxLength: 64 })),
    default: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String({ maxLength: 128 })),
    icon: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type PresetInput = Static<typeof PresetInput>;

export const CreateTemplateVersion = Type.Object({
  name: Type.Optional(VersionName),
  message: Type.Optional(Type.String({ maxLength: 1048576 })),
  readme: Type.Optional(Type.String({ maxLength: 1048576 })),
  template_id: Type.Optional(Uuid),
  parameters: Type.Optional(Type.Array(ParameterInput, { maxItems: 128 })),
  presets: Type.Optional(Type.Array(PresetInput, { maxItems: 64 })),
  definition: Type.Optional(Type.Object({}, { additionalProperties: true })),
  // Accepted for compatibility with the reference's request; the definition replaces the file.
  storage_method: Type.Optional(Type.String()),
  provisioner: Type.Optional(Type.String()),
  /** An archive uploaded with POST /files; its herald.json fills definition, parameters, presets and readme left out here. */
  file_id: Type.Optional(Uuid),
  example_id: Type.Optional(Type.String()),
  tags: Type.Optional(Type.Record(Type.String(), Type.String())),
  user_variable_values: Type.Optional(Type.Array(Type.Unknown())),
}, {
  // A misspelt key ("definiton") or a definition pasted without its wrapper is a 400 naming the key,
  // not a silently empty version.
  additionalProperties: false,
});
export type CreateTemplateVersion = Static<typeof CreateTemplateVersion>;

export const CreateTemplate = Type.Object({
  name: TemplateName,
  display_name: Type.Optional(Type.String({ maxLength: 64 })),
  description: Type.Optional(Type.String({ maxLength: 128 })),
  icon: Type.Optional(Type.String({ maxLength: 256 })),
  template_version_id: Uuid,
});
export type CreateTemplate = Static<typeof CreateTemplate>;

export const UpdateTemplate = Type.Object({
  name: Type.Optional(TemplateName),
  display_name: Type.Optional(Type.String({ maxLength: 64 })),
  description: Type.Optional(Type.String({ maxLength: 128 })),
  icon: Type.Optional(Type.String({ maxLength: 256 })),
  deprecation_message: Type.Optional(Type.String({ maxLength: 4096 })),
  ...TemplateScheduleFields,
});
export type UpdateTemplate = Static<typeof UpdateTemplate>;

export const PromoteVersion = Type.Object({ id: Uuid });
export type PromoteVersion = Static<typeof PromoteVersion>;
export const TemplateListQuery = Type.Object({ deprecated: Type.Optional(Type.Boolean()) });

const Percentiles = Type.Object({ P50: Nullable(Type.Integer()), P95: Nullable(Type.Integer()) });

/** codersdk.Template: every field of the reference's type (see docs/architecture.md for the ones Herald fills with defaults). */
export const Template = Type.Object({
  id: Uuid,
  created_at: DateTime,
  updated_at: DateTime,
  organization_id: Uuid,
  organization_name: Type.String(),
  name: Type.String(),
  display_name: Type.String(),
  description: Type.String(),
  icon: Type.String(),
  provisioner: Type.String(),
  active_version_id: Uuid,
  deprecated: Type.Boolean(),
  deprecation_message: Type.String(),
  created_by_id: Uuid,
  created_by_name: Type.String(),
  organization_display_name: Type.String(),
  organization_icon: Type.String(),
  active_user_count: Type.Integer(),
  build_time_stats: Type.Object({ start: Percentiles, stop: Percentiles, delete: Percentiles }),
  allow_user_cancel_workspace_jobs: Type.Boolean(),
  max_port_share_level: Type.String(),
  cors_behavior: Type.String(),
  use_classic_parameter_flow: Type.Boolean(),
  default_ttl_ms: Type.Integer(),
  activity_bump_ms: Type.Integer(),
  allow_user_autostart: Type.Boolean(),
  allow_user_autostop: Type.Boolean(),
  autostop_requirement: Type.Object({ days_of_week: Type.Array(Type.String()), weeks: Type.Integer() }),
  autostart_requirement: Type.Object({ days_of_week: Type.Array(Type.String()) }),
  failure_ttl_ms: Type.Integer(),
  time_til_dormant_ms: Type.Integer(),
  time_til_dormant_autodelete_ms: Type.Integer(),
  require_active_version: Type.Boolean(),
});
export type Template = Static<typeof Template>;

/** codersdk.TemplateVersion; versions are ready as soon as they are uploaded (no import job). */
export const TemplateVersion = Type.Object({
  id: Uuid,
  template_id: Nullable(Uuid),
  organization_id: Uuid,
  created_at: DateTime,
  updated_at: DateTime,
  name: Type.String(),
  message: Type.String(),
  readme: Type.String(),
  archived: Type.Boolean(),
  provisioner: Type.String(),
  job: ProvisionerJob,
  created_by: Type.Object({ id: Uuid, username: Type.String(), name: Type.String(), avatar_url: Type.String() }),
  warnings: Type.Array(Type.String()),
});
export type TemplateVersion = Static<typeof TemplateVersion>;

/** codersdk.TemplateVersionParameter. */
export const TemplateVersionParameter = Type.Object({
  name: Type.String(),
  display_name: Type.String(),
  description: Type.String(),
  type: Type.String(),
  mutable: Type.Boolean(),
  default_value: Type.String(),
  icon: Type.String(),
  options: Type.Array(Type.Object({ name: Type.String(), value: Type.String(), description: Type.String(), icon: Type.String() })),
  validation_regex: Type.String(),
  validation_min: Nullable(Type.Integer()),
  validation_max: Nullable(Type.Integer()),
  validation_error: Type.String(),
  validation_monotonic: Type.String(),
  required: Type.Boolean(),
  ephemeral: Type.Boolean(),
});
export type TemplateVersionParameter = Static<typeof TemplateVersionParameter>;

/** codersdk.Preset (its fields carry no JSON tags upstream, hence the capitals), plus prebuild_status. */
export const Preset = Type.Object({
  ID: Uuid,
  Name: Type.String(),
  Parameters: Type.Array(Type.Object({ Name: Type.String(), Value: Type.String() })),
  Default: Type.Boolean(),
  DesiredPrebuildInstances: Nullable(Type.Integer()),
  Description: Type.String(),
  Icon: Type.String(),
  prebuild_status: Type.String(),
});
export type Preset = Static<typeof Preset>;

export const templateEndpoints = {
  'POST /organizations/{organization}/templateversions': { params: OrgParam, body: CreateTemplateVersion, response: { 201: TemplateVersion } },
  'GET /templateversions/{templateversion}': { params: VersionParam, response: { 200: TemplateVersion } },
  'GET /templateversions/{templateversion}/rich-parameters': { params: VersionParam, response: { 200: Type.Array(TemplateVersionParameter) } },
  'GET /templateversions/{templateversion}/presets': { params: VersionParam, response: { 200: Type.Array(Preset) } },
  'POST /organizations/{organization}/templates': { params: OrgParam, body: CreateTemplate, response: { 201: Template } },
  'GET /organizations/{organization}/templates': { params: OrgParam, querystring: TemplateListQuery, response: { 200: Type.Array(Template) } },
  'GET /organizations/{organization}/templates/{name}': { params: TemplateByNameParam, response: { 200: Template } },
  'GET /organizations/{organization}/templates/{name}/versions/{versionname}': { params: VersionByNameParam, response: { 200: TemplateVersion } },
  'POST /files': {
    body: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'A tar (application/x-tar) or zip (application/zip) archive, at most 10 MiB' }),
    response: { 200: UploadResponse, 201: UploadResponse },
  },
  'GET /templates': { querystring: TemplateListQuery, response: { 200: Type.Array(Template) } },
  'GET /templates/{id}': { params: TemplateIdParam, response: { 200: Template } },
  'PATCH /templates/{id}': { params: TemplateIdParam, body: UpdateTemplate, response: { 200: Template } },
  'DELETE /templates/{id}': { params: TemplateIdParam, response: { 200: MessageResponse } },
  'GET /templates/{id}/versions': { params: TemplateIdParam, response: { 200: Type.Array(TemplateVersion) } },
  'PATCH /templates/{id}/versions': { params: TemplateIdParam, body: PromoteVersion, response: { 200: MessageResponse } },
} as const;
