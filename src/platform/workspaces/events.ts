import type { Queryable } from '../../db/database.js';
import type { EventDeps } from '../deps.js';
import {
  TEMPLATE_WORKSPACE_AUTOBUILD_FAILED,
  TEMPLATE_WORKSPACE_CREATED,
  TEMPLATE_WORKSPACE_DELETED,
  TEMPLATE_WORKSPACE_MANUALLY_UPDATED,
  TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED,
} from '../../notifications/templates/catalogue.js';
import { displayName } from '../../auth/users/events.js';
import { getUserById, usersWithRoles, type UserRow } from '../../auth/users/queries.js';
import { safely } from '../events.js';
import { templateAdmins } from '../templates/events.js';
import { getTemplate, getVersion } from '../templates/queries.js';
import type { NameValue } from '../templates/parameters.js';
import type { BuildRow, WorkspaceRow } from './queries.js';

const targets = (w: WorkspaceRow) => [w.id, w.owner_id, w.template_id, w.organization_id];

/** One notification per owner and template admin but the initiator, with the reference's data shape, in one batch. */
async function toAdminsButInitiator(
  deps: EventDeps,
  q: Queryable,
  initiator: UserRow,
  n: {
    templateId: string;
    labels: Record<string, string>;
    w: WorkspaceRow;
    template: { id: string; name: string };
    version: { id: string; name: string };
    owner: UserRow;
    parameters: NameValue[];
    createdBy: string;
  },
): Promise<void> {
  const data = {
    workspace: { id: n.w.id, name: n.w.name },
    template: n.template,
    template_version: { id: n.version.id, name: n.version.name },
    owner: { id: n.owner.id, name: n.owner.name, email: n.owner.email },
    parameters: n.parameters,
  };
  const recipients = (await templateAdmins(q)).filter((a) => a.id !== initiator.id);
  await deps.enqueuer.enqueueMany(
    recipients.map((admin) => ({ userId: admin.id, templateId: n.templateId, labels: n.labels, data, createdBy: n.createdBy, targets: targets(n.w) })),
    q,
  );
}

/** Workspace Created: owners and template admins except the initiator (opt-in template). */
export async function workspaceCreated(
  deps: EventDeps,
  q: Queryable,
  w: WorkspaceRow,
  versionId: string,
  initiator: UserRow,
  parameters: NameValue[],
): Promise<void> {
  await safely(q, deps.log, 'notify workspace created', async () => {
    const owner = await getUserById(q, w.owner_id);
    const version = await getVersion(q, versionId);
    if (!owner || !version) return;
    await toAdminsButInitiator(deps, q, initiator, {
      templateId: TEMPLATE_WORKSPACE_CREATED,
      labels: { workspace: w.name, template: w.template_name, version: version.name, workspace_owner_username: owner.username },
      w,
      template: { id: w.template_id, name: w.template_name },
      version,
      owner,
      parameters,
      createdBy: 'api-workspaces-create',
    });
  });
}

/** Workspace Manually Updated (reference 8e): labels name the template's active version. */
export async function workspaceManuallyUpdated(
  deps: EventDeps,
  q: Queryable,
  w: WorkspaceRow,
  initiator: UserRow,
  parameters: NameValue[],
): Promise<void> {
  await safely(q, deps.log, 'notify workspace manually updated', async () => {
    const template = await getTemplate(q, w.template_id);
    const owner = await getUserById(q, w.owner_id);
    if (!template || !owner) return;
    const version = (await getVersion(q, template.active_version_id))!;
    await toAdminsButInitiator(deps, q, initiator, {
      templateId: TEMPLATE_WORKSPACE_MANUALLY_UPDATED,
      labels: {
        organization: template.organization_name,
        initiator: displayName(initiator),
        workspace: w.name,
        template: template.name,
        version: version.name,
        workspace_owner_username: owner.username,
      },
      w,
      template: { id: template.id, name: template.name },
      version,
      owner,
      parameters,
      createdBy: 'api-workspaces-updated',
    });
  });
}

/** Workspace Deleted, to the owner, unless the owner deleted it themselves. */
export async function workspaceDeleted(deps: EventDeps, q: Queryable, w: WorkspaceRow, build: BuildRow): Promise<void> {
  if (build.reason === 'initiator' && build.initiator_id === w.owner_id) return;
  await safely(q, deps.log, 'notify workspace deleted', async () => {
    let reason = build.reason;
    let initiator = '';
    if (build.reason === 'initiator') {
      reason = 'initiated by user';
      initiator = build.initiator_username;
    } else if (build.reason === 'autodelete') {
      reason = 'autodeleted due to dormancy';
      initiator = 'autobuild';
    }
    await deps.enqueuer.enqueueMany(
      [
        {
          userId: w.owner_id,
          templateId: TEMPLATE_WORKSPACE_DELETED,
          labels: { name: w.name, reason, initiator },
          createdBy: 'provisionerd',
          targets: targets(w),
        },
      ],
      q,
    );
  });
}

/**
 * A failed build: Manual Build Failed to the org's template admins when a user started it,
 * Autobuild Failed to the owner otherwise.
 */
export async function workspaceBuildFailed(deps: EventDeps, q: Queryable, w: WorkspaceRow, build: BuildRow): Promise<void> {
  await safely(q, deps.log, 'notify workspace build failed', async () => {
    if (build.reason !== 'initiator') {
      await deps.enqueuer.enqueueMany(
        [
          {
            userId: w.owner_id,
            templateId: TEMPLATE_WORKSPACE_AUTOBUILD_FAILED,
            labels: { name: w.name, reason: build.reason },
            createdBy: 'provisionerd',
            targets: targets(w),
          },
        ],
        q,
      );
      return;
    }
    const members = await q.query<{ user_id: string }>(`SELECT user_id FROM organization_members WHERE organization_id = $1`, [w.organization_id]);
    const inOrg = new Set(members.rows.map((m) => m.user_id));
    const admins = (await usersWithRoles(q, ['template-admin'])).filter((u) => inOrg.has(u.id));
    await deps.enqueuer.enqueueMany(
      admins.map((admin) => ({
        userId: admin.id,
        templateId: TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED,
        labels: {
          name: w.name,
          template_name: w.template_display_name || w.template_name,
          template_version_name: build.template_version_name,
          initiator: build.initiator_username,
          workspace_owner_username: w.owner_username,
          workspace_build_number: String(build.build_number),
        },
        createdBy: 'provisionerd',
        targets: targets(w),
      })),
      q,
    );
  });
}
