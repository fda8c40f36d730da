import type { Queryable } from '../../db/database.js';
import type { AppContext } from '../../server/context.js';
import { TEMPLATE_TEMPLATE_DELETED, TEMPLATE_TEMPLATE_DEPRECATED } from '../../notifications/templates/catalogue.js';
import { usersWithRoles, type UserRow } from '../users/queries.js';
import { safely } from '../events.js';
import type { TemplateRow } from './queries.js';

/** Owners and template admins: the reference's findTemplateAdmins. */
export const templateAdmins = (q: Queryable) => usersWithRoles(q, ['owner', 'template-admin']);

export async function templateDeleted(ctx: AppContext, q: Queryable, t: TemplateRow, initiator: UserRow): Promise<void> {
  await safely(q, ctx.log, 'notify template deleted', async () => {
    for (const admin of await templateAdmins(q)) {
      if (admin.id === initiator.id) continue;
      await ctx.enqueuer.enqueueMany(
        [{
          userId: admin.id,
          templateId: TEMPLATE_TEMPLATE_DELETED,
          labels: { name: t.display_name || t.name, initiator: initiator.username },
          createdBy: 'api-templates-delete',
          targets: [t.id, t.organization_id],
        }],
        q,
      );
    }
  });
}

/** To each distinct owner of a workspace on the template. */
export async function templateDeprecated(ctx: AppContext, q: Queryable, t: TemplateRow, message: string): Promise<void> {
  await safely(q, ctx.log, 'notify template deprecated', async () => {
    const owners = await q.query<{ owner_id: string }>(
      `SELECT DISTINCT w.owner_id FROM workspaces w JOIN users u ON u.id = w.owner_id
       WHERE w.template_id = $1 AND w.deleted = false AND u.deleted = false AND u.is_system = false ORDER BY w.owner_id`,
      [t.id],
    );
    for (const o of owners.rows) {
      await ctx.enqueuer.enqueueMany(
        [{
          userId: o.owner_id,
          templateId: TEMPLATE_TEMPLATE_DEPRECATED,
          labels: { template: t.name, message, organization: t.organization_name },
          createdBy: 'notify-users-of-template-deprecation',
        }],
        q,
      );
    }
  });
}
