import crypto from 'node:crypto';
import { updateTemplateSchedule, type TemplateScheduleInput } from '../lifecycle/service.js';
import type { Database, Queryable } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import { Conflict, Invalid, NotFound, type FieldError } from '../../lib/errors.js';
import type { EventDeps } from '../deps.js';
import type { UserRow } from '../../auth/users/queries.js';
import { DefinitionError, parseDefinition } from '../provisioner/definition.js';
import { checkParameterValue, type NameValue, type ParameterOption, type ParameterRow, type ParameterType } from './parameters.js';
import * as tq from './queries.js';
import { getFile } from '../files/queries.js';
import { versionFileOf } from '../files/service.js';
import * as events from './events.js';
import { presentParameter, presentPreset, presentTemplate, presentVersion } from './present.js';

export interface ParameterInput {
  name: string;
  display_name?: string;
  description?: string;
  type?: ParameterType;
  mutable?: boolean;
  default_value?: string;
  icon?: string;
  options?: { name: string; value: string; description?: string; icon?: string }[];
  validation_regex?: string;
  validation_min?: number | null;
  validation_max?: number | null;
  validation_error?: string;
  validation_monotonic?: string;
  required?: boolean;
  ephemeral?: boolean;
}

export interface PresetInput {
  name: string;
  parameters?: NameValue[];
  desired_instances?: number | null;
  invalidate_after_secs?: number;
  scheduling_timezone?: string;
  default?: boolean;
  description?: string;
  icon?: string;
}

export interface CreateVersionInput {
  name?: string;
  message?: string;
  readme?: string;
  template_id?: string;
  parameters?: ParameterInput[];
  presets?: PresetInput[];
  definition?: unknown;
  /** An uploaded archive (POST /files); its herald.json fills what the request leaves out. */
  file_id?: string;
}

const invalid = (message: string, validations: FieldError[]) => new Invalid(message, validations[0]?.detail, validations);

function normaliseParameters(input: ParameterInput[]): Omit<ParameterRow, 'template_version_id'>[] {
  const seen = new Set<string>();
  return input.map((p, i) => {
    const field = `parameters[${i}]`;
    if (seen.has(p.name)) throw invalid('Invalid template version parameters.', [{ field: `${field}.name`, detail: `duplicate parameter name "${p.name}"` }]);
    seen.add(p.name);
    const options: ParameterOption[] = (p.options ?? []).map((o) => ({ name: o.name, value: o.value, description: o.description ?? '', icon: o.icon ?? '' }));
    if (new Set(options.map((o) => o.value)).size !== options.length) {
      throw invalid('Invalid template version parameters.', [{ field: `${field}.options`, detail: 'option values must be unique' }]);
    }
    const row: Omit<ParameterRow, 'template_version_id'> = {
      name: p.name,
      display_name: p.display_name ?? '',
      description: p.description ?? '',
      type: p.type ?? 'string',
      mutable: p.mutable ?? false,
      default_value: p.default_value ?? '',
      icon: p.icon ?? '',
      options,
      validation_regex: p.validation_regex ?? '',
      validation_min: p.validation_min ?? null,
      validation_max: p.validation_max ?? null,
      validation_error: p.validation_error ?? '',
      validation_monotonic: p.validation_monotonic ?? '',
      required: p.required ?? p.default_value === undefined,
      ephemeral: p.ephemeral ?? false,
      display_order: i,
    };
    if (row.ephemeral && !row.mutable) {
      throw invalid('Invalid template version parameters.', [{ field: `${field}.ephemeral`, detail: 'an ephemeral parameter must be mutable' }]);
    }
    if (p.validation_regex) {
      try {
        new RegExp(p.validation_regex);
      } catch {
        throw invalid('Invalid template version parameters.', [{ field: `${field}.validation_regex`, detail: 'not a valid regular expression' }]);
      }
    }
    if (p.default_value !== undefined) {
      const problem = checkParameterValue({ ...row, template_version_id: '' }, p.default_value);
      if (problem) throw invalid('Invalid template version parameters.', [{ field: `${field}.default_value`, detail: problem }]);
    }
    return row;
  });
}

function checkPresets(presets: PresetInput[], params: Omit<ParameterRow, 'template_version_id'>[]): void {
  const names = new Set<string>();
  let defaults = 0;
  presets.forEach((p, i) => {
    const field = `presets[${i}]`;
    if (names.has(p.name)) throw invalid('Invalid template version presets.', [{ field: `${field}.name`, detail: `duplicate preset name "${p.name}"` }]);
    names.add(p.name);
    if (p.default) defaults++;
    for (const pv of p.parameters ?? []) {
      const param = params.find((x) => x.name === pv.name);
      if (!param) throw invalid('Invalid template version presets.', [{ field: `${field}.parameters`, detail: `preset "${p.name}" sets unknown parameter "${pv.name}"` }]);
      const problem = checkParameterValue({ ...param, template_version_id: '' }, pv.value);
      if (problem) throw invalid('Invalid template version presets.', [{ field: `${field}.parameters`, detail: `preset "${p.name}", parameter "${pv.name}": ${problem}` }]);
    }
  });
  if (defaults > 1) throw invalid('Invalid template version presets.', [{ field: 'presets', detail: 'at most one preset may be the default' }]);
}

const stripUndefined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** What an uploaded archive's version file declares (definition, parameters, presets, readme). */
async function fromFile(q: Queryable, fileId: string): Promise<Partial<CreateVersionInput>> {
  const file = await getFile(q, fileId);
  if (!file) throw new NotFound('File not found.', `No uploaded file ${fileId}.`);
  const v = versionFileOf(file);
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalid('Invalid template version file.', [{ field: 'file_id', detail: 'the version file must be a JSON object' }]);
  }
  const o = v as Record<string, unknown>;
  return stripUndefined({
    definition: o.definition,
    parameters: o.parameters as ParameterInput[] | undefined,
    presets: o.presets as PresetInput[] | undefined,
    readme: typeof o.readme === 'string' ? o.readme : undefined,
  });
}

const randomVersionName = () => `v-${crypto.randomBytes(4).toString('hex')}`;

/** Uploads a version: definition, parameters and presets, all or nothing. */
export async function createVersion(q: Queryable, orgId: string, actor: UserRow, input: CreateVersionInput): Promise<string> {
  if (input.file_id) input = { ...(await fromFile(q, input.file_id)), ...stripUndefined(input) };
  let definition;
  try {
    definition = parseDefinition(input.definition);
  } catch (err) {
    if (err instanceof DefinitionError) throw invalid('Invalid provisioner definition.', [{ field: err.field, detail: err.message }]);
    throw err;
  }
  const params = normaliseParameters(input.parameters ?? []);
  checkPresets(input.presets ?? [], params);
  if (input.template_id) {
    const t = await tq.getTemplate(q, input.template_id);
    if (!t || t.organization_id !== orgId) {
      throw new Invalid('Template does not exist.', `No template with id ${input.template_id} in this organization.`, [{ field: 'template_id', detail: 'template not found' }]);
    }
  }
  let id: string;
  try {
    id = await tq.insertVersion(q, {
      templateId: input.template_id ?? null,
      organizationId: orgId,
      name: input.name || randomVersionName(),
      message: input.message ?? '',
      readme: input.readme ?? '',
      definition,
      createdBy: actor.id,
      fileId: input.file_id ?? null,
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`A template version with name "${input.name}" already exists for this template.`);
    throw err;
  }
  await tq.insertParameters(q, id, params);
  for (const p of input.presets ?? []) {
    await tq.insertPreset(q, id, {
      name: p.name,
      desired_instances: p.desired_instances ?? null,
      invalidate_after_secs: p.invalidate_after_secs ?? 0,
      scheduling_timezone: p.scheduling_timezone ?? '',
      is_default: p.default ?? false,
      description: p.description ?? '',
      icon: p.icon ?? '',
      parameters: p.parameters ?? [],
    });
  }
  return id;
}

export interface CreateTemplateInput {
  name: string;
  display_name?: string;
  description?: string;
  icon?: string;
  template_version_id: string;
}

export async function createTemplate(q: Queryable, orgId: string, actor: UserRow, input: CreateTemplateInput): Promise<string> {
  const v = await tq.getVersion(q, input.template_version_id);
  if (!v || v.organization_id !== orgId) {
    throw new Invalid('Template version does not exist.', undefined, [{ field: 'template_version_id', detail: 'template version not found' }]);
  }
  if (v.template_id) {
    throw new Invalid('Template version is already used by another template.', undefined, [{ field: 'template_version_id', detail: 'already belongs to a template' }]);
  }
  if (await tq.getTemplateByName(q, orgId, input.name)) {
    throw new Conflict(`Template with name "${input.name}" already exists.`, undefined);
  }
  let id: string;
  try {
    id = await tq.insertTemplate(q, {
      organizationId: orgId,
      name: input.name,
      displayName: input.display_name ?? '',
      description: input.description ?? '',
      icon: input.icon ?? '',
      activeVersionId: v.id,
      createdBy: actor.id,
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`Template with name "${input.name}" already exists.`);
    throw err;
  }
  await q.query(`UPDATE template_versions SET template_id = $1, updated_at = now() WHERE id = $2`, [id, v.id]);
  return id;
}

export async function promoteVersion(q: Queryable, t: tq.TemplateRow, versionId: string): Promise<void> {
  const v = await tq.getVersion(q, versionId);
  if (!v) throw new Invalid('Template version not found.', undefined, [{ field: 'id', detail: 'template version not found' }]);
  if (v.template_id !== t.id) throw new Invalid("The provided template version doesn't belong to the specified template.");
  if (v.archived) throw new Invalid('The provided template version is archived.');
  await q.query(`UPDATE templates SET active_version_id = $2, updated_at = now() WHERE id = $1`, [t.id, v.id]);
}

export interface UpdateTemplateInput extends TemplateScheduleInput {
  name?: string;
  display_name?: string;
  description?: string;
  icon?: string;
  deprecation_message?: string;
}

/** PATCH /templates/{id}: metadata and deprecation (notifying workspace owners on a new deprecation). */
export async function updateTemplate(deps: EventDeps, q: Queryable, t: tq.TemplateRow, input: UpdateTemplateInput): Promise<void> {
  if (input.name !== undefined && input.name.toLowerCase() !== t.name.toLowerCase()) {
    const other = await tq.getTemplateByName(q, t.organization_id, input.name);
    if (other) throw new Conflict(`Template with name "${input.name}" already exists.`);
  }
  const deprecated = input.deprecation_message !== undefined ? input.deprecation_message.trim() : t.deprecated;
  try {
    await q.query(
      `UPDATE templates SET name = $2, display_name = $3, description = $4, icon = $5, deprecated = $6, updated_at = now() WHERE id = $1`,
      [t.id, input.name ?? t.name, input.display_name ?? t.display_name, input.description ?? t.description, input.icon ?? t.icon, deprecated],
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`Template with name "${input.name}" already exists.`);
    throw err;
  }
  await updateTemplateSchedule(deps, q, t.id, input);
  if (deprecated !== '' && deprecated !== t.deprecated) {
    const updated = (await tq.getTemplate(q, t.id))!;
    await events.templateDeprecated(deps, q, updated, deprecated);
  }
}

export async function deleteTemplate(deps: EventDeps, q: Queryable, t: tq.TemplateRow, actor: UserRow): Promise<void> {
  const ws = await q.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM workspaces WHERE template_id = $1 AND deleted = false`,
    [t.id],
  );
  if (ws.rows[0].n > 0) {
    throw new Invalid('All workspaces must be deleted before a template can be removed.');
  }
  await q.query(`UPDATE templates SET deleted = true, updated_at = now() WHERE id = $1`, [t.id]);
  await events.templateDeleted(deps, q, t, actor);
}

export type TemplateJson = ReturnType<typeof presentTemplate>;
export type VersionJson = ReturnType<typeof presentVersion>;

export interface TemplateService {
  createVersion(orgId: string, actor: UserRow, input: CreateVersionInput): Promise<VersionJson>;
  getVersion(id: string): Promise<VersionJson>;
  versionParameters(id: string): Promise<ReturnType<typeof presentParameter>[]>;
  versionPresets(id: string): Promise<ReturnType<typeof presentPreset>[]>;
  createTemplate(orgId: string, actor: UserRow, input: CreateTemplateInput): Promise<TemplateJson>;
  /** Every organization's when orgId is undefined. */
  listTemplates(orgId: string | undefined, opts: { deprecated?: boolean }): Promise<TemplateJson[]>;
  getTemplateByName(orgId: string, name: string): Promise<TemplateJson>;
  /** A template's version by the template's name and the version's (the reference's link form). */
  getVersionByName(orgId: string, templateName: string, versionName: string): Promise<VersionJson>;
  getTemplate(id: string): Promise<TemplateJson>;
  listVersions(templateId: string): Promise<VersionJson[]>;
  promoteVersion(templateId: string, versionId: string): Promise<void>;
  updateTemplate(templateId: string, input: UpdateTemplateInput): Promise<TemplateJson>;
  deleteTemplate(templateId: string, actor: UserRow): Promise<void>;
}

/** Templates and their versions as the API shows them; every write in one transaction. */
export function createTemplateService(deps: EventDeps & { db: Database }): TemplateService {
  const { db } = deps;
  const template = async (q: Queryable, id: string, opts: { forUpdate?: boolean } = {}) => {
    const t = await tq.getTemplate(q, id, opts);
    if (!t) throw new NotFound();
    return t;
  };
  const version = async (id: string) => {
    const v = await tq.getVersion(db, id);
    if (!v) throw new NotFound();
    return v;
  };
  return {
    async createVersion(orgId, actor, input) {
      const id = await db.tx((q) => createVersion(q, orgId, actor, input));
      return presentVersion((await tq.getVersion(db, id))!);
    },
    getVersion: async (id) => presentVersion(await version(id)),
    versionParameters: async (id) => (await tq.getParameters(db, (await version(id)).id)).map(presentParameter),
    versionPresets: async (id) => (await tq.getPresets(db, (await version(id)).id)).map(presentPreset),
    async createTemplate(orgId, actor, input) {
      const id = await db.tx((q) => createTemplate(q, orgId, actor, input));
      return presentTemplate((await tq.getTemplate(db, id))!);
    },
    listTemplates: async (orgId, opts) => (await tq.listTemplates(db, orgId, opts)).map(presentTemplate),
    async getTemplateByName(orgId, name) {
      const t = await tq.getTemplateByName(db, orgId, name);
      if (!t) throw new NotFound();
      return presentTemplate(t);
    },
    async getVersionByName(orgId, templateName, versionName) {
      const t = await tq.getTemplateByName(db, orgId, templateName);
      if (!t) throw new NotFound(`No template found by name "${templateName}" in the organization.`);
      const v = await tq.getVersionByName(db, t.id, versionName);
      if (!v) throw new NotFound(`No template version found by name "${versionName}".`);
      return presentVersion(v);
    },
    getTemplate: async (id) => presentTemplate(await template(db, id)),
    listVersions: async (templateId) => (await tq.listVersions(db, (await template(db, templateId)).id)).map(presentVersion),
    async promoteVersion(templateId, versionId) {
      const t = await template(db, templateId);
      await db.tx((q) => promoteVersion(q, t, versionId));
    },
    async updateTemplate(templateId, input) {
      await template(db, templateId);
      await db.tx(async (q) => updateTemplate(deps, q, await template(q, templateId, { forUpdate: true }), input));
      return presentTemplate((await tq.getTemplate(db, templateId))!);
    },
    async deleteTemplate(templateId, actor) {
      await template(db, templateId);
      await db.tx(async (q) => deleteTemplate(deps, q, await template(q, templateId, { forUpdate: true }), actor));
    },
  };
}
