import type { Queryable } from '../../db/database.js';
import type { Definition } from '../provisioner/definition.js';
import type { NameValue, ParameterRow } from './parameters.js';
import { TEMPLATE_SCHEDULE_COLS, type ScheduleRow } from '../lifecycle/queries.js';

export interface TemplateRow extends ScheduleRow {
  id: string;
  created_at: Date;
  updated_at: Date;
  organization_id: string;
  organization_name: string;
  organization_display_name: string;
  organization_icon: string;
  /** Distinct owners of the template's workspaces (the reference's active_user_count). */
  active_user_count: number;
  name: string;
  display_name: string;
  description: string;
  icon: string;
  active_version_id: string;
  deprecated: string;
  deleted: boolean;
  created_by: string;
  created_by_username: string;
}

export interface VersionRow {
  id: string;
  created_at: Date;
  updated_at: Date;
  template_id: string | null;
  organization_id: string;
  name: string;
  message: string;
  readme: string;
  definition: Definition;
  archived: boolean;
  created_by: string;
  created_by_username: string;
  /** The uploaded archive the version came from (POST /files), if any. */
  file_id: string | null;
}

export interface PresetRow {
  id: string;
  template_version_id: string;
  name: string;
  created_at: Date;
  desired_instances: number | null;
  invalidate_after_secs: number | null;
  prebuild_status: 'healthy' | 'hard_limited' | 'validation_failed';
  scheduling_timezone: string;
  is_default: boolean;
  description: string;
  icon: string;
  parameters: NameValue[];
}

const TEMPLATE_COLS = `t.id, t.created_at, t.updated_at, t.organization_id, o.name AS organization_name,
  o.display_name AS organization_display_name, o.icon AS organization_icon,
  (SELECT count(DISTINCT ws.owner_id)::int FROM workspaces ws WHERE ws.template_id = t.id AND ws.deleted = false) AS active_user_count, t.name,
  t.display_name, t.description, t.icon, t.active_version_id, t.deprecated, t.deleted, t.created_by,
  u.username AS created_by_username, ${TEMPLATE_SCHEDULE_COLS}`;
const TEMPLATE_FROM = `templates t JOIN organizations o ON o.id = t.organization_id JOIN users u ON u.id = t.created_by`;

export async function getTemplate(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<TemplateRow | undefined> {
  const r = await q.query<TemplateRow>(
    `SELECT ${TEMPLATE_COLS} FROM ${TEMPLATE_FROM} WHERE t.id = $1 AND t.deleted = false ${opts.forUpdate ? 'FOR UPDATE OF t' : ''}`,
    [id],
  );
  return r.rows[0];
}

export async function getTemplateByName(q: Queryable, orgId: string, name: string): Promise<TemplateRow | undefined> {
  const r = await q.query<TemplateRow>(
    `SELECT ${TEMPLATE_COLS} FROM ${TEMPLATE_FROM} WHERE t.organization_id = $1 AND lower(t.name) = lower($2) AND t.deleted = false`,
    [orgId, name],
  );
  return r.rows[0];
}

export async function listTemplates(q: Queryable, orgId: string | undefined, opts: { deprecated?: boolean } = {}): Promise<TemplateRow[]> {
  const where = ['t.deleted = false'];
  const params: unknown[] = [];
  if (orgId) {
    params.push(orgId);
    where.push(`t.organization_id = $${params.length}`);
  }
  if (opts.deprecated !== undefined) where.push(opts.deprecated ? `t.deprecated <> ''` : `t.deprecated = ''`);
  const r = await q.query<TemplateRow>(`SELECT ${TEMPLATE_COLS} FROM ${TEMPLATE_FROM} WHERE ${where.join(' AND ')} ORDER BY lower(t.name)`, params);
  return r.rows;
}

export async function insertTemplate(
  q: Queryable,
  t: { organizationId: string; name: string; displayName: string; description: string; icon: string; activeVersionId: string; createdBy: string },
): Promise<string> {
  const r = await q.query<{ id: string }>(
    `INSERT INTO templates (organization_id, name, display_name, description, icon, active_version_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [t.organizationId, t.name, t.displayName, t.description, t.icon, t.activeVersionId, t.createdBy],
  );
  return r.rows[0].id;
}

const VERSION_COLS = `v.id, v.created_at, v.updated_at, v.template_id, v.organization_id, v.name, v.message, v.readme,
  v.definition, v.archived, v.created_by, u.username AS created_by_username, v.file_id`;

export async function getVersion(q: Queryable, id: string): Promise<VersionRow | undefined> {
  const r = await q.query<VersionRow>(
    `SELECT ${VERSION_COLS} FROM template_versions v JOIN users u ON u.id = v.created_by WHERE v.id = $1`,
    [id],
  );
  return r.rows[0];
}

export async function listVersions(q: Queryable, templateId: string): Promise<VersionRow[]> {
  const r = await q.query<VersionRow>(
    `SELECT ${VERSION_COLS} FROM template_versions v JOIN users u ON u.id = v.created_by
     WHERE v.template_id = $1 ORDER BY v.created_at, v.id`,
    [templateId],
  );
  return r.rows;
}

export async function insertVersion(
  q: Queryable,
  v: { templateId: string | null; organizationId: string; name: string; message: string; readme: string; definition: Definition; createdBy: string; fileId?: string | null },
): Promise<string> {
  const r = await q.query<{ id: string }>(
    `INSERT INTO template_versions (template_id, organization_id, name, message, readme, definition, created_by, file_id)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) RETURNING id`,
    [v.templateId, v.organizationId, v.name, v.message, v.readme, JSON.stringify(v.definition), v.createdBy, v.fileId ?? null],
  );
  return r.rows[0].id;
}

export async function insertParameters(q: Queryable, versionId: string, params: Omit<ParameterRow, 'template_version_id'>[]): Promise<void> {
  for (const p of params) {
    await q.query(
      `INSERT INTO template_version_parameters (template_version_id, name, display_name, description, type, mutable,
         default_value, icon, options, validation_regex, validation_min, validation_max, validation_error,
         validation_monotonic, required, ephemeral, display_order)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, $14, $15, $16, $17)`,
      [
        versionId, p.name, p.display_name, p.description, p.type, p.mutable, p.default_value, p.icon,
        JSON.stringify(p.options), p.validation_regex, p.validation_min, p.validation_max, p.validation_error,
        p.validation_monotonic, p.required, p.ephemeral, p.display_order,
      ],
    );
  }
}

export async function getParameters(q: Queryable, versionId: string): Promise<ParameterRow[]> {
  const r = await q.query<ParameterRow>(
    `SELECT * FROM template_version_parameters WHERE template_version_id = $1 ORDER BY display_order, name`,
    [versionId],
  );
  return r.rows;
}

export async function insertPreset(
  q: Queryable,
  versionId: string,
  p: { name: string; desired_instances: number | null; invalidate_after_secs: number; scheduling_timezone: string; is_default: boolean; description: string; icon: string; parameters: NameValue[] },
): Promise<string> {
  const r = await q.query<{ id: string }>(
    `INSERT INTO template_version_presets (template_version_id, name, desired_instances, invalidate_after_secs,
       scheduling_timezone, is_default, description, icon)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [versionId, p.name, p.desired_instances, p.invalidate_after_secs, p.scheduling_timezone, p.is_default, p.description, p.icon],
  );
  const id = r.rows[0].id;
  if (p.parameters.length) {
    await q.query(
      `INSERT INTO template_version_preset_parameters (template_version_preset_id, name, value)
       SELECT $1, n, v FROM unnest($2::text[], $3::text[]) AS x(n, v)`,
      [id, p.parameters.map((x) => x.name), p.parameters.map((x) => x.value)],
    );
  }
  return id;
}

export async function getPresets(q: Queryable, versionId: string): Promise<PresetRow[]> {
  const r = await q.query<PresetRow>(
    `SELECT p.id, p.template_version_id, p.name, p.created_at, p.desired_instances, p.invalidate_after_secs,
            p.prebuild_status::text AS prebuild_status, p.scheduling_timezone, p.is_default, p.description, p.icon,
            COALESCE((SELECT json_agg(json_build_object('name', pp.name, 'value', pp.value) ORDER BY pp.name)
                      FROM template_version_preset_parameters pp WHERE pp.template_version_preset_id = p.id), '[]'::json) AS parameters
     FROM template_version_presets p WHERE p.template_version_id = $1 ORDER BY p.name`,
    [versionId],
  );
  return r.rows;
}

export async function getPreset(q: Queryable, id: string): Promise<PresetRow | undefined> {
  const r = await q.query<{ template_version_id: string }>(`SELECT template_version_id FROM template_version_presets WHERE id = $1`, [id]);
  if (!r.rows[0]) return undefined;
  return (await getPresets(q, r.rows[0].template_version_id)).find((p) => p.id === id);
}

/** A template's version by name (names are unique per template). */
export async function getVersionByName(q: Queryable, templateId: string, name: string): Promise<VersionRow | undefined> {
  const r = await q.query<VersionRow>(
    `SELECT ${VERSION_COLS} FROM template_versions v JOIN users u ON u.id = v.created_by WHERE v.template_id = $1 AND lower(v.name) = lower($2)`,
    [templateId, name],
  );
  return r.rows[0];
}
