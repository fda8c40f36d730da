import type { Queryable } from '../../db/database.js';
import type { EventDeps } from '../deps.js';
import { TEMPLATE_TEMPLATE_DELETED, TEMPLATE_TEMPLATE_DEPRECATED } from '../../notifications/templates/catalogue.js';
import { usersWithRoles, type UserRow } from '../../auth/users/queries.js';
import { safely } from '../events.js';
import type { TemplateRow } from './queries.js';

/** Owners and template admins: the reference's findTemplateAdmins. */
export const templateAdmins = (q: Queryable) => usersWithRoles(q, ['owner', 'template-admin']);

export async function templateDeleted(deps: EventDeps, q: Queryable, t: TemplateRow, initiator: UserRow): Promise<void> {
  await safely(q, deps.log, 'notify template deleted', async () => {
    const admins = (await templateAdmins(q)).filter((a) => a.id !== initiator.id);
    await deps.enqueuer.enqueueMany(
      admins.map((admin) => ({
        userId: admin.id,
        templateId: TEMPLATE_TEMPLATE_DELETED,
        labels: { name: t.display_name || t.name, initiator: initiator.username },
        createdBy: 'api-templates-delete',
        targets: [t.id, t.organization_id],
      })),
      q,
    );
  });
}

/** To each distinct owner of a workspace on the template. */
export async function templateDeprecated(deps: EventDeps, q: Queryable, t: TemplateRow, message: string): Promise<void> {
  await safely(q, deps.log, 'notify template deprecated', async () => {
    const owners = await q.query<{ owner_id: string }>(
      `SELECT DISTINCT w.owner_id FROM workspaces w JOIN users u ON u.id = w.owner_id
       WHERE w.template_id = $1 AND w.deleted = false AND u.deleted = false AND u.is_system = false ORDER BY w.owner_id`,
      [t.id],
    );
    await deps.enqueuer.enqueueMany(
      owners.rows.map((o) => ({
        userId: o.owner_id,
        templateId: TEMPLATE_TEMPLATE_DEPRECATED,
        labels: { template: t.name, message, organization: t.organization_name },
        createdBy: 'notify-users-of-template-deprecation',
      })),
      q,
    );
  });
}
