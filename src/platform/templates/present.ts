import type { ParameterRow } from './parameters.js';
import type { PresetRow, TemplateRow, VersionRow } from './queries.js';
import { toSchedule } from '../lifecycle/queries.js';
import { presentSchedule } from '../lifecycle/present.js';

/** codersdk.Template (the fields Herald has). */
export function presentTemplate(t: TemplateRow) {
  return {
    id: t.id,
    created_at: t.created_at.toISOString(),
    updated_at: t.updated_at.toISOString(),
    organization_id: t.organization_id,
    organization_name: t.organization_name,
    organization_display_name: t.organization_display_name,
    organization_icon: t.organization_icon,
    name: t.name,
    display_name: t.display_name,
    description: t.description,
    icon: t.icon,
    provisioner: 'terraform',
    active_version_id: t.active_version_id,
    deprecated: t.deprecated !== '',
    deprecation_message: t.deprecated,
    created_by_id: t.created_by,
    created_by_name: t.created_by_username,
    active_user_count: t.active_user_count,
    // Herald keeps no build-time statistics: the reference's "not enough data" is null.
    build_time_stats: { start: { P50: null, P95: null }, stop: { P50: null, P95: null }, delete: { P50: null, P95: null } },
    // No job cancellation, port sharing, CORS or dynamic parameters in Herald: the reference's defaults.
    allow_user_cancel_workspace_jobs: false,
    max_port_share_level: 'owner',
    cors_behavior: 'simple',
    use_classic_parameter_flow: true,
    ...presentSchedule(toSchedule(t)),
  };
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** The reference's template import job; Herald has none, so it is the finished job it would have been. */
function versionJob(v: VersionRow) {
  const at = v.created_at.toISOString();
  return {
    id: v.id,
    created_at: at,
    started_at: at,
    completed_at: at,
    canceled_at: null,
    error: '',
    error_code: '',
    status: 'succeeded',
    worker_id: null,
    file_id: v.file_id ?? ZERO_UUID,
    tags: {},
    queue_position: 0,
    queue_size: 0,
    organization_id: v.organization_id,
    initiator_id: v.created_by,
    input: { template_version_id: v.id },
    type: 'template_version_import',
    provisioner: v.definition.provisioner ?? 'builtin',
    available_workers: [],
    logs_overflowed: false,
    metadata: {},
  };
}

/** codersdk.TemplateVersion; versions are ready as soon as they are uploaded (no import job). */
export function presentVersion(v: VersionRow) {
  return {
    id: v.id,
    template_id: v.template_id,
    organization_id: v.organization_id,
    created_at: v.created_at.toISOString(),
    updated_at: v.updated_at.toISOString(),
    name: v.name,
    message: v.message,
    readme: v.readme,
    archived: v.archived,
    provisioner: v.definition.provisioner ?? 'builtin',
    job: versionJob(v),
    created_by: { id: v.created_by, username: v.created_by_username, name: '', avatar_url: '' },
    warnings: [],
  };
}

/** codersdk.TemplateVersionParameter. */
export function presentParameter(p: ParameterRow) {
  return {
    name: p.name,
    display_name: p.display_name,
    description: p.description,
    type: p.type,
    mutable: p.mutable,
    default_value: p.default_value,
    icon: p.icon,
    options: p.options,
    validation_regex: p.validation_regex,
    validation_min: p.validation_min,
    validation_max: p.validation_max,
    validation_error: p.validation_error,
    validation_monotonic: p.validation_monotonic,
    required: p.required,
    ephemeral: p.ephemeral,
  };
}

/** codersdk.Preset (its fields carry no JSON tags upstream, hence the capitals), plus prebuild_status. */
export function presentPreset(p: PresetRow) {
  return {
    ID: p.id,
    Name: p.name,
    Parameters: p.parameters.map((x) => ({ Name: x.name, Value: x.value })),
    Default: p.is_default,
    DesiredPrebuildInstances: p.desired_instances,
    Description: p.description,
    Icon: p.icon,
    prebuild_status: p.prebuild_status,
  };
}
