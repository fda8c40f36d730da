import type { Queryable } from '../../db/database.js';
import type { EventDeps } from '../deps.js';
import { PREBUILD_FAILURE_LIMIT_REACHED, TEMPLATE_WORKSPACE_RESOURCE_REPLACED } from '../../notifications/templates/catalogue.js';
import type { EnqueueRequest } from '../../notifications/enqueue.js';
import { usersWithRoles } from '../../auth/users/queries.js';
import type { DesiredPreset } from './queries.js';

export const CREATED_BY = 'prebuilds_reconciler';

/**
 * Sends one notification to every template admin (the reference asks for that role only, in any
 * organization), as one batch.
 */
async function notifyTemplateAdmins(deps: Pick<EventDeps, 'enqueuer'>, q: Queryable, req: Omit<EnqueueRequest, 'userId' | 'createdBy'>): Promise<void> {
  const admins = await usersWithRoles(q, ['template-admin']);
  await deps.enqueuer.enqueueMany(admins.map((a) => ({ ...req, userId: a.id, createdBy: CREATED_BY })), q);
}

/** Prebuild Failure Limit Reached: once, when the preset turns hard_limited. */
export async function notifyFailureLimitReached(deps: Pick<EventDeps, 'enqueuer'>, q: Queryable, p: DesiredPreset): Promise<void> {
  await notifyTemplateAdmins(deps, q, {
    templateId: PREBUILD_FAILURE_LIMIT_REACHED,
    labels: {
      org: p.organization_name,
      template: p.template_name,
      template_version: p.template_version_name,
      preset: p.preset_name,
    },
    data: {},
    targets: [p.template_id, p.template_version_id, p.preset_id, p.organization_id],
  });
}

export interface ReplacementEvent {
  workspaceId: string;
  workspaceName: string;
  ownerId: string;
  claimant: string;
  buildNumber: number;
  templateId: string;
  templateName: string;
  versionId: string;
  versionName: string;
  presetId: string;
  presetName: string;
  organizationId: string;
  organizationName: string;
  replacements: Record<string, string>;
}

/** Prebuilt Workspace Resource Replaced: a claim made Terraform replace resources. */
export async function notifyResourceReplaced(deps: Pick<EventDeps, 'enqueuer'>, q: Queryable, e: ReplacementEvent): Promise<void> {
  await notifyTemplateAdmins(deps, q, {
    templateId: TEMPLATE_WORKSPACE_RESOURCE_REPLACED,
    labels: {
      org: e.organizationName,
      workspace: e.workspaceName,
      template: e.templateName,
      template_version: e.versionName,
      preset: e.presetName,
      workspace_build_num: String(e.buildNumber),
      claimant: e.claimant,
    },
    data: { replacements: e.replacements },
    targets: [e.workspaceId, e.ownerId, e.templateId, e.versionId, e.presetId, e.organizationId],
  });
}
