import type { Queryable } from '../../db/database.js';
import type { AppContext } from '../../server/context.js';
import { PREBUILD_FAILURE_LIMIT_REACHED, TEMPLATE_WORKSPACE_RESOURCE_REPLACED } from '../../notifications/templates/catalogue.js';
import { usersWithRoles } from '../users/queries.js';
import type { DesiredPreset } from './queries.js';

export const CREATED_BY = 'prebuilds_reconciler';

/** Users holding the template-admin role (the reference asks for that role only, in any organization). */
const templateAdminRole = (q: Queryable) => usersWithRoles(q, ['template-admin']);

/** Prebuild Failure Limit Reached: once, when the preset turns hard_limited. */
export async function notifyFailureLimitReached(ctx: AppContext, q: Queryable, p: DesiredPreset): Promise<void> {
  for (const admin of await templateAdminRole(q)) {
    await ctx.enqueuer.enqueue(
      {
        userId: admin.id,
        templateId: PREBUILD_FAILURE_LIMIT_REACHED,
        labels: {
          org: p.organization_name,
          template: p.template_name,
          template_version: p.template_version_name,
          preset: p.preset_name,
        },
        data: {},
        createdBy: CREATED_BY,
        targets: [p.template_id, p.template_version_id, p.preset_id, p.organization_id],
      },
      q,
    );
  }
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
export async function notifyResourceReplaced(ctx: AppContext, q: Queryable, e: ReplacementEvent): Promise<void> {
  for (const admin of await templateAdminRole(q)) {
    await ctx.enqueuer.enqueue(
      {
        userId: admin.id,
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
        createdBy: CREATED_BY,
        targets: [e.workspaceId, e.ownerId, e.templateId, e.versionId, e.presetId, e.organizationId],
      },
      q,
    );
  }
}
