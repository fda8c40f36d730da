import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/database.js';
import { FIRST_USER_LOCK } from '../../db/locks.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../lib/errors.js';
import type { UserJson } from '../../contract/common.js';
import type { Enqueuer } from '../../notifications/enqueue.js';
import type { Actor } from '../../access/actor.js';
import { checkPassword, hashPassword } from '../passwords.js';
import { canAssignRole, isSiteRole } from '../../access/roles.js';
import { deleteApiKeysByUser } from '../queries.js';
import * as users from './queries.js';
import { presentUser, presentUsers } from './present.js';
import * as events from './events.js';

export interface UserServiceDeps {
  db: Database;
  enqueuer: Pick<Enqueuer, 'enqueueMany'>;
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface NewUserInput {
  email: string;
  username: string;
  name?: string;
  password?: string;
}

export interface UserService {
  present(user: users.UserRow): Promise<UserJson>;
  /** `q` as the reference's user search: "status:active role:owner free text". */
  list(input: { q?: string; limit: number; offset: number }): Promise<{ users: UserJson[]; count: number }>;
  /**
   * A new user, member of each organization named (the nil UUID or none at all: the default
   * organization, as the reference's dashboard sends it), active or dormant.
   */
  create(
    actor: Actor,
    input: NewUserInput & { loginType?: 'password' | 'none'; organizationIds?: string[]; status?: 'active' | 'dormant' },
  ): Promise<UserJson>;
  firstUserExists(): Promise<boolean>;
  /** The first user, as owner; Conflict once there is one. */
  createFirstUser(input: NewUserInput & { password: string }): Promise<{ user_id: string; organization_id: string }>;
  setStatus(actor: Actor, user: users.UserRow, action: 'suspend' | 'activate'): Promise<UserJson>;
  delete(actor: Actor, user: users.UserRow): Promise<void>;
  setRoles(actor: Actor, user: users.UserRow, roles: string[]): Promise<UserJson>;
}


/** Filters like "status:active role:owner name" as the reference's user search. */
export function parseSearch(q: string | undefined): { search?: string; status?: string; role?: string } {
  const out: { search?: string; status?: string; role?: string } = {};
  const free: string[] = [];
  for (const part of (q ?? '').split(/\s+/).filter(Boolean)) {
    const [k, v] = part.includes(':') ? part.split(/:(.*)/s) : ['', part];
    if (k === 'status' && ['active', 'suspended', 'dormant'].includes(v)) out.status = v;
    else if (k === 'role') out.role = v;
    else free.push(v);
  }
  if (free.length) out.search = free.join(' ');
  return out;
}

/** Only owners act on owners; nobody acts on the system users. */
function guardTarget(actor: Actor, user: users.UserRow, verb: string): void {
  if (user.is_system) throw new Forbidden(`System users cannot be ${verb}.`);
  if (user.rbac_roles.includes('owner') && !actor.roles.includes('owner')) throw new Forbidden();
}

export function createUserService(deps: UserServiceDeps): UserService {
  const { db, enqueuer } = deps;

  const duplicate = (err: unknown): never => {
    const field = String((err as { constraint?: string }).constraint ?? '').includes('email') ? 'email' : 'username';
    throw new Conflict(`A user with this ${field} already exists.`);
  };

  return {
    present: (user) => presentUser(db, user),

    async list({ q, limit, offset }) {
      const { users: rows, count } = await users.listUsers(db, { ...parseSearch(q), limit, offset });
      return { users: await presentUsers(db, rows), count };
    },

    async create(actor, b) {
      const loginType = b.loginType ?? 'password';
      if (loginType === 'password') {
        if (!b.password) throw new Invalid('Validation failed.', undefined, [{ field: 'password', detail: 'A password is required for password login.' }]);
        checkPassword(b.password);
      }
      const hashed = loginType === 'password' ? await hashPassword(b.password!) : '';
      try {
        const created = await db.tx(async (t) => {
          const defaultOrg = await users.defaultOrganizationId(t);
          const orgs = new Set((b.organizationIds?.length ? b.organizationIds : [NIL_UUID]).map((id) => (id === NIL_UUID ? defaultOrg : id)));
          for (const id of orgs) {
            if (!(await users.organizationExists(t, id))) throw new NotFound(`Organization does not exist with the provided id "${id}".`);
          }
          const u = await users.insertUser(t, { email: b.email, username: b.username, name: b.name ?? '', hashedPassword: hashed, loginType, roles: [], status: b.status });
          for (const id of orgs) await users.addOrganizationMember(t, u.id, id);
          await events.userCreated(enqueuer, t, u, actor.user);
          return u;
        });
        return await presentUser(db, created);
      } catch (err) {
        if (isUniqueViolation(err)) duplicate(err);
        throw err;
      }
    },

    async firstUserExists() {
      return (await users.countUsers(db)) > 0;
    },

    async createFirstUser(b) {
      checkPassword(b.password);
      const hashed = await hashPassword(b.password);
      // Serialised by an advisory lock so two racing requests cannot both become the owner.
      const result = await db.withAdvisoryLock(FIRST_USER_LOCK, async () =>
        db.tx(async (t) => {
          if ((await users.countUsers(t)) > 0) return undefined;
          const u = await users.insertUser(t, { email: b.email, username: b.username, name: b.name ?? '', hashedPassword: hashed, loginType: 'password', roles: ['owner'] });
          const org = await users.defaultOrganizationId(t);
          await users.addOrganizationMember(t, u.id, org);
          return { user_id: u.id, organization_id: org };
        }),
      );
      if (!result) throw new Conflict('The initial user has already been created.');
      return result;
    },

    async setStatus(actor, user, action) {
      if (user.id === actor.user.id) throw new Invalid(`You cannot ${action} yourself.`);
      guardTarget(actor, user, 'modified');
      const status = action === 'suspend' ? 'suspended' : 'active';
      if (user.status === status) return presentUser(db, user);
      const updated = await db.tx(async (t) => {
        const u = await users.updateUserStatus(t, user.id, status);
        // Suspension ends every session and token: reactivating the account does not revive them.
        if (status === 'suspended') await deleteApiKeysByUser(t, user.id);
        await events.userStatusChanged(enqueuer, t, u, action === 'suspend' ? 'suspended' : 'activated', actor.user);
        return u;
      });
      return presentUser(db, updated);
    },

    async delete(actor, user) {
      if (user.id === actor.user.id) throw new Forbidden('You cannot delete yourself!');
      guardTarget(actor, user, 'deleted');
      await db.tx(async (t) => {
        await users.softDeleteUser(t, user.id);
        await events.userDeleted(enqueuer, t, user, actor.user);
      });
    },

    async setRoles(actor, user, roles) {
      if (user.id === actor.user.id) throw new Invalid('You cannot change your own roles.');
      guardTarget(actor, user, 'modified');
      const wanted = [...new Set(roles.filter((r) => r !== 'member'))];
      const invalid = wanted.filter((r) => !isSiteRole(r));
      if (invalid.length) {
        throw new Invalid(
          'Invalid roles.',
          undefined,
          invalid.map((r) => ({ field: 'roles', detail: `"${r}" is not a site role; owner, user-admin and template-admin are` })),
        );
      }
      const changed = [...wanted.filter((r) => !user.rbac_roles.includes(r)), ...user.rbac_roles.filter((r) => !wanted.includes(r))];
      for (const r of changed) {
        if (!canAssignRole(actor.roles, r)) throw new Forbidden(`You cannot assign or remove the role "${r}".`);
      }
      return presentUser(db, await users.updateUserRoles(db, user.id, wanted));
    },
  };
}
