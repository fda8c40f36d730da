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
    ...presentSchedule(toSchedule(t)),
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
    job: { status: 'succeeded', error: '' },
    created_by: { id: v.created_by, username: v.created_by_username },
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
