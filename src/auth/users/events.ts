import type { Enqueuer } from '../../notifications/enqueue.js';
import type { Queryable } from '../../db/database.js';
import {
  TEMPLATE_USER_ACCOUNT_ACTIVATED,
  TEMPLATE_USER_ACCOUNT_CREATED,
  TEMPLATE_USER_ACCOUNT_DELETED,
  TEMPLATE_USER_ACCOUNT_SUSPENDED,
  TEMPLATE_YOUR_ACCOUNT_ACTIVATED,
  TEMPLATE_YOUR_ACCOUNT_SUSPENDED,
} from '../../notifications/templates/catalogue.js';
import { usersWithRoles, type UserRow } from './queries.js';

type Enqueue = Pick<Enqueuer, 'enqueueMany'>;

// User account events: "User account *" to owners and user admins, "Your account *" to the user.

export const displayName = (u: Pick<UserRow, 'name' | 'username'>) => u.name || u.username;

const userData = (u: UserRow) => ({ user: { id: u.id, name: u.name, email: u.email } });

async function toUserAdmins(
  enqueuer: Enqueue,
  q: Queryable,
  subject: UserRow,
  templateId: string,
  labels: Record<string, string>,
  createdBy: string,
): Promise<void> {
  // Nobody is told about their own account change.
  const admins = (await usersWithRoles(q, ['owner', 'user-admin'])).filter((a) => a.id !== subject.id);
  await enqueuer.enqueueMany(
    admins.map((admin) => ({ userId: admin.id, templateId, labels, data: userData(subject), createdBy, targets: [subject.id] })),
    q,
  );
}

export async function userCreated(enqueuer: Enqueue, q: Queryable, created: UserRow, initiator: UserRow): Promise<void> {
  await toUserAdmins(
    enqueuer,
    q,
    created,
    TEMPLATE_USER_ACCOUNT_CREATED,
    {
      created_account_name: created.username,
      created_account_user_name: created.name,
      initiator: displayName(initiator),
    },
    'api-users-create',
  );
}

export async function userDeleted(enqueuer: Enqueue, q: Queryable, deleted: UserRow, initiator: UserRow): Promise<void> {
  await toUserAdmins(
    enqueuer,
    q,
    deleted,
    TEMPLATE_USER_ACCOUNT_DELETED,
    {
      deleted_account_name: deleted.username,
      deleted_account_user_name: deleted.name,
      initiator: displayName(initiator),
    },
    'api-users-delete',
  );
}

export async function userStatusChanged(
  enqueuer: Enqueue,
  q: Queryable,
  user: UserRow,
  status: 'suspended' | 'activated',
  initiator: UserRow,
): Promise<void> {
  const labels = {
    [`${status}_account_name`]: user.username,
    [`${status}_account_user_name`]: user.name,
    initiator: displayName(initiator),
  };
  const [adminTemplate, personalTemplate] =
    status === 'suspended'
      ? [TEMPLATE_USER_ACCOUNT_SUSPENDED, TEMPLATE_YOUR_ACCOUNT_SUSPENDED]
      : [TEMPLATE_USER_ACCOUNT_ACTIVATED, TEMPLATE_YOUR_ACCOUNT_ACTIVATED];
  await toUserAdmins(enqueuer, q, user, adminTemplate, labels, 'api-put-user-status');
  await enqueuer.enqueueMany(
    [{ userId: user.id, templateId: personalTemplate, labels, data: userData(user), createdBy: 'api-put-user-status', targets: [user.id] }],
    q,
  );
}
