import type { Queryable } from '../../db/database.js';
import type { EventDeps } from '../deps.js';
import type { PrebuildMetrics } from '../../notifications/metrics.js';
import { safely } from '../events.js';
import type { UserRow } from '../../auth/users/queries.js';
import { getUserById } from '../../auth/users/queries.js';
import { getPreset, getVersion } from '../templates/queries.js';
import * as wq from '../workspaces/queries.js';
import * as wevents from '../workspaces/events.js';
import { createBuild, type ClaimRequest } from '../workspaces/service.js';
import { appendLogs } from '../provisioner/jobs.js';
import { claimablePrebuild, presetLabels } from './queries.js';
import { findResourceReplacements, replacementsData } from './replacements.js';
import { notifyResourceReplaced } from './notify.js';
import { RESOURCE_REPLACEMENTS_STAGE } from '../../contract/workspaces.js';


/**
 * Creating a workspace with a preset that has a ready prebuilt workspace takes that workspace
 * instead: it gets the user's name and owner, and a `start` build with prebuild stage `claim`.
 * Resolves undefined when no prebuilt workspace is ready (the caller creates one from scratch).
 * The caller has validated the request (template, membership, name).
 */
export interface ClaimDeps extends EventDeps {
  metrics: PrebuildMetrics;
}

export type { ClaimRequest };

export async function claimPrebuiltWorkspace(
  deps: ClaimDeps,
  q: Queryable,
  owner: UserRow,
  initiator: UserRow,
  req: ClaimRequest,
): Promise<{ workspaceId: string; buildId: string } | undefined> {
  const workspaceId = await claimablePrebuild(q, req.presetId, req.templateVersionId);
  if (!workspaceId) return undefined;
  await q.query(
    `UPDATE workspaces SET owner_id = $2, name = $3, autostart_schedule = $4, ttl = $5, automatic_updates = $6,
       last_used_at = now(), updated_at = now()
     WHERE id = $1`,
    [
      workspaceId,
      owner.id,
      req.name,
      req.autostartSchedule ?? null,
      req.ttlMs !== undefined ? req.ttlMs * 1_000_000 : null,
      req.automaticUpdates ?? 'never',
    ],
  );
  const buildId = await createBuild(deps, q, workspaceId, initiator, {
    transition: 'start',
    templateVersionId: req.templateVersionId,
    presetId: req.presetId,
    richParameterValues: req.richParameterValues,
    prebuildStage: 'claim',
  });
  const labels = await presetLabels(q, req.presetId);
  if (labels) deps.metrics.claimed.inc(labels);
  deps.log.info({ workspace_id: workspaceId, owner: owner.username, preset_id: req.presetId }, 'prebuilt workspace claimed');
  const w = (await wq.getWorkspace(q, workspaceId))!;
  await wevents.workspaceCreated(deps, q, w, req.templateVersionId, initiator, req.richParameterValues ?? []);
  return { workspaceId, buildId };
}

/**
 * After a successful claim build: if its plan replaced resources, say so in the build's logs,
 * count it (once per claim) and tell template admins.
 */
export async function trackResourceReplacements(deps: ClaimDeps, q: Queryable, build: wq.BuildRow, plan: unknown): Promise<void> {
  if (build.prebuild_stage !== 'claim' || plan === undefined || plan === null) return;
  const replacements = findResourceReplacements(plan);
  if (replacements.size === 0) return;
  const lines = [
    {
      level: 'warn' as const,
      stage: RESOURCE_REPLACEMENTS_STAGE,
      output: `Claiming this prebuilt workspace replaced ${replacements.size} resource${replacements.size === 1 ? '' : 's'}: the template changed attributes that cannot be updated in place (drift since the prebuild was created).`,
    },
    ...[...replacements].map(([address, paths]) => ({
      level: 'warn' as const,
      stage: RESOURCE_REPLACEMENTS_STAGE,
      output: `  ${address} was replaced due to changes to: ${paths.join(', ')}`,
    })),
  ];
  await appendLogs(q, build.job_id, lines);
  const w = await wq.getWorkspace(q, build.workspace_id);
  const presetId = build.template_version_preset_id;
  if (!w || !presetId) return;
  const labels = await presetLabels(q, presetId);
  if (labels) deps.metrics.resourceReplacements.inc(labels);
  deps.log.warn(
    { workspace_id: w.id, build_number: build.build_number, replacements: Object.fromEntries(replacements) },
    'claimed prebuilt workspace had resources replaced',
  );
  await safely(q, deps.log, 'notify prebuilt workspace resource replaced', async () => {
    const preset = await getPreset(q, presetId);
    const version = await getVersion(q, build.template_version_id);
    const claimant = await getUserById(q, w.owner_id);
    if (!preset || !version || !claimant) return;
    await notifyResourceReplaced(deps, q, {
      workspaceId: w.id,
      workspaceName: w.name,
      ownerId: w.owner_id,
      claimant: claimant.username,
      buildNumber: build.build_number,
      templateId: w.template_id,
      templateName: w.template_name,
      versionId: version.id,
      versionName: version.name,
      presetId,
      presetName: preset.name,
      organizationId: w.organization_id,
      organizationName: w.organization_name,
      replacements: replacementsData(replacements),
    });
  });
}
