import type { Queryable } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import type { AppContext } from '../../server/context.js';
import { badRequest, conflict, forbidden, HttpError } from '../../api/errors.js';
import type { UserRow } from '../users/queries.js';
import * as tq from '../templates/queries.js';
import { ParameterError, resolveParameters, type NameValue } from '../templates/parameters.js';
import { insertJob } from '../provisioner/jobs.js';
import * as wq from './queries.js';
import * as events from './events.js';
import { claimPrebuiltWorkspace } from '../prebuilds/claim.js';

export type Transition = 'start' | 'stop' | 'delete';
export type BuildReason = 'initiator' | 'autostart' | 'autostop' | 'dormancy' | 'failedstop' | 'autodelete';

export interface BuildRequest {
  transition: Transition;
  templateVersionId?: string;
  richParameterValues?: NameValue[];
  presetId?: string;
  reason?: BuildReason;
  prebuildStage?: 'none' | 'create' | 'claim';
}

function parameterError(err: unknown): never {
  if (err instanceof ParameterError) {
    throw badRequest(`Unable to validate parameter "${err.parameter}".`, err.message, [
      { field: `rich_parameter_values.${err.parameter}`, detail: err.message },
    ]);
  }
  throw err;
}

/**
 * Queues a build of a workspace: the build row, its parameters and its provisioner job in the
 * caller's transaction. The workspace row is locked so build numbers cannot collide.
 */
export async function createBuild(
  ctx: AppContext,
  q: Queryable,
  workspaceId: string,
  initiator: UserRow,
  req: BuildRequest,
): Promise<string> {
  const w = await wq.getWorkspace(q, workspaceId, { forUpdate: true });
  if (!w) throw new HttpError(404, 'Resource not found or you do not have access to this resource');
  if (w.deleted) throw new HttpError(410, `Workspace "${w.name}" was deleted.`, 'Builds cannot be created for a deleted workspace.');
  const previous = await wq.latestBuild(q, w.id);
  if (previous && (previous.job_status === 'pending' || previous.job_status === 'running')) {
    throw conflict('A workspace build is already active.', `Build #${previous.build_number} (${previous.transition}) is ${previous.job_status}.`);
  }
  const template = await tq.getTemplate(q, w.template_id);
  let versionId = req.templateVersionId ?? previous?.template_version_id ?? template?.active_version_id;
  if (!versionId) throw badRequest('The workspace has no template version to build.');
  const version = await tq.getVersion(q, versionId);
  if (!version) {
    throw badRequest('Template version not found.', undefined, [{ field: 'template_version_id', detail: `no template version ${versionId}` }]);
  }
  if (version.template_id !== w.template_id) {
    throw badRequest("The template version doesn't belong to the workspace's template.", undefined, [
      { field: 'template_version_id', detail: 'template version belongs to another template' },
    ]);
  }
  if (version.archived && req.transition === 'start') throw badRequest('The template version is archived.');
  versionId = version.id;

  let preset: tq.PresetRow | undefined;
  const presetId = req.presetId ?? (req.templateVersionId ? undefined : previous?.template_version_preset_id ?? undefined);
  if (presetId) {
    preset = await tq.getPreset(q, presetId);
    if (!preset || preset.template_version_id !== version.id) {
      if (req.presetId) {
        throw badRequest('Preset not found for this template version.', undefined, [
          { field: 'template_version_preset_id', detail: 'preset does not belong to the template version' },
        ]);
      }
      preset = undefined;
    }
  }

  let parameters: NameValue[];
  try {
    parameters = resolveParameters({
      parameters: await tq.getParameters(q, version.id),
      requested: req.richParameterValues ?? [],
      previous: previous ? await wq.buildParameters(q, previous.id) : [],
      preset: preset?.parameters,
      firstBuild: !previous,
    });
  } catch (err) {
    parameterError(err);
  }

  const jobId = await insertJob(q, {
    organizationId: w.organization_id,
    initiatorId: initiator.id,
    provisioner: version.definition.provisioner ?? 'builtin',
    type: 'workspace_build',
    input: { template_version_id: version.id },
  });
  const buildId = await wq.insertBuild(q, {
    workspaceId: w.id,
    templateVersionId: version.id,
    buildNumber: (previous?.build_number ?? 0) + 1,
    transition: req.transition,
    initiatorId: initiator.id,
    jobId,
    reason: req.reason ?? 'initiator',
    presetId: preset?.id ?? null,
    prebuildStage: req.prebuildStage ?? 'none',
    parameters,
  });
  await q.query(`UPDATE provisioner_jobs SET input = input || jsonb_build_object('workspace_build_id', $2::text) WHERE id = $1`, [jobId, buildId]);
  await q.query(`UPDATE workspaces SET updated_at = now() WHERE id = $1`, [w.id]);

  if (previous && req.templateVersionId && req.templateVersionId !== previous.template_version_id) {
    await events.workspaceManuallyUpdated(ctx, q, w, initiator, req.richParameterValues ?? []);
  }
  return buildId;
}

export interface CreateWorkspaceRequest {
  name: string;
  templateId?: string;
  templateVersionId?: string;
  richParameterValues?: NameValue[];
  presetId?: string;
  autostartSchedule?: string;
  ttlMs?: number;
  automaticUpdates?: string;
}

/** Creates a workspace and its first (start) build in the caller's transaction. */
export async function createWorkspace(
  ctx: AppContext,
  q: Queryable,
  owner: UserRow,
  initiator: UserRow,
  req: CreateWorkspaceRequest,
): Promise<{ workspaceId: string; buildId: string }> {
  if (!req.templateId && !req.templateVersionId) {
    throw badRequest('Validation failed.', 'Either template_id or template_version_id must be set.', [
      { field: 'template_id', detail: 'template_id or template_version_id is required' },
    ]);
  }
  let template: tq.TemplateRow | undefined;
  let versionId = req.templateVersionId;
  if (req.templateId) {
    template = await tq.getTemplate(q, req.templateId);
    if (!template) throw badRequest(`Template "${req.templateId}" doesn't exist.`, undefined, [{ field: 'template_id', detail: 'template not found' }]);
  }
  if (versionId) {
    const v = await tq.getVersion(q, versionId);
    if (!v || !v.template_id) {
      throw badRequest('Template version not found.', undefined, [{ field: 'template_version_id', detail: 'template version not found' }]);
    }
    if (template && v.template_id !== template.id) {
      throw badRequest('Template version does not belong to the template.', undefined, [
        { field: 'template_version_id', detail: 'template version belongs to another template' },
      ]);
    }
    template ??= await tq.getTemplate(q, v.template_id);
    if (!template) throw badRequest('Template version not found.', undefined, [{ field: 'template_version_id', detail: 'its template was deleted' }]);
  }
  template = template!;
  versionId ??= template.active_version_id;
  if (template.deprecated) {
    throw forbidden(`Template "${template.name}" has been deprecated, and cannot be used to create a new workspace.`, template.deprecated);
  }
  const member = await q.query(`SELECT 1 FROM organization_members WHERE organization_id = $1 AND user_id = $2`, [template.organization_id, owner.id]);
  if (!member.rowCount) throw forbidden(`User "${owner.username}" is not a member of the template's organization.`);
  if (await wq.getWorkspaceByOwnerAndName(q, owner.id, req.name)) {
    throw conflict(`Workspace "${req.name}" already exists.`, undefined);
  }
  if (req.presetId) {
    // A ready prebuilt workspace of the preset is handed over instead of building from scratch.
    const claimed = await claimPrebuiltWorkspace(ctx, q, owner, initiator, { ...req, presetId: req.presetId, templateVersionId: versionId });
    if (claimed) return claimed;
  }
  let workspaceId: string;
  try {
    const r = await q.query<{ id: string }>(
      `INSERT INTO workspaces (owner_id, organization_id, template_id, name, autostart_schedule, ttl, automatic_updates)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [owner.id, template.organization_id, template.id, req.name, req.autostartSchedule ?? null, req.ttlMs !== undefined ? req.ttlMs * 1_000_000 : null, req.automaticUpdates ?? 'never'],
    );
    workspaceId = r.rows[0].id;
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`Workspace "${req.name}" already exists.`);
    throw err;
  }
  const buildId = await createBuild(ctx, q, workspaceId, initiator, {
    transition: 'start',
    templateVersionId: versionId,
    richParameterValues: req.richParameterValues,
    presetId: req.presetId,
  });
  const w = (await wq.getWorkspace(q, workspaceId))!;
  await events.workspaceCreated(ctx, q, w, versionId, initiator, req.richParameterValues ?? []);
  return { workspaceId, buildId };
}
