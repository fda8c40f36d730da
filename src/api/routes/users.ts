import { createDirectory } from '../../platform/directory.js';
import { FIRST_USER_LOCK } from '../../db/locks.js';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { hashPassword, validatePassword, verifyPassword } from '../../auth/passwords.js';
import { createApiKey, deleteApiKey } from '../../auth/sessions.js';
import { canAssignRole, isSiteRole } from '../../auth/roles.js';
import * as users from '../../platform/users/queries.js';
import { presentUser, presentUsers } from '../../platform/users/present.js';
import * as events from '../../platform/users/events.js';
import { isUniqueViolation } from '../../db/database.js';
import { actorOf, authorize, SESSION_COOKIE } from '../auth.js';
import { badRequest, conflict, forbidden, unauthorized } from '../errors.js';
import { userParam } from '../params.js';
import { errors, MessageResponse, User, UserParam } from '../../contract/common.js';
import {
  CreateFirstUser,
  CreateFirstUserResponse,
  CreateToken,
  CreateTokenResponse,
  CreateUser,
  Login,
  LoginResponse,
  Roles,
  UserListQuery as ListQuery,
} from '../../contract/users.js';
import { RateLimiter } from '../rate-limit.js';

function checkPassword(password: string, field = 'password'): void {
  const problem = validatePassword(password);
  if (problem) throw badRequest('Invalid password.', problem, [{ field, detail: problem }]);
}

/** Filters like "status:active role:owner name" as the reference's user search. */
function parseSearch(q: string | undefined): { search?: string; status?: string; role?: string } {
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

export async function userRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;

  app.get('/users/me', { schema: { tags: ['Users'], response: { 200: User, ...errors(401) } } }, async (req) =>
    presentUser(db, actorOf(req).user),
  );

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/users',
    { schema: { tags: ['Users'], querystring: ListQuery } },
    async (req) => {
      authorize(req, 'user:read');
      const f = parseSearch(req.query.q);
      const { users: rows, count } = await users.listUsers(db, {
        ...f,
        limit: req.query.limit || 100,
        offset: req.query.offset ?? 0,
      });
      return { users: await presentUsers(db, rows), count };
    },
  );

  app.post<{ Body: Static<typeof CreateUser> }>(
    '/users',
    { schema: { tags: ['Users'], body: CreateUser, response: { 201: User, ...errors(400, 401, 403, 409) } } },
    async (req, reply) => {
      const actor = authorize(req, 'user:create');
      const b = req.body;
      const loginType = b.login_type === 'none' ? 'none' : 'password';
      if (loginType === 'password') {
        if (!b.password) throw badRequest('Validation failed.', undefined, [{ field: 'password', detail: 'A password is required for password login.' }]);
        checkPassword(b.password);
      }
      const hashed = loginType === 'password' ? await hashPassword(b.password!) : '';
      try {
        const created = await db.tx(async (t) => {
          const u = await users.insertUser(t, {
            email: b.email,
            username: b.username,
            name: b.name ?? '',
            hashedPassword: hashed,
            loginType,
            roles: [],
          });
          await users.addOrganizationMember(t, u.id, await users.defaultOrganizationId(t));
          await events.userCreated(ctx, t, u, actor.user);
          return u;
        });
        return reply.status(201).send(await presentUser(db, created));
      } catch (err) {
        if (isUniqueViolation(err)) {
          const field = String((err as { constraint?: string }).constraint ?? '').includes('email') ? 'email' : 'username';
          throw conflict(`A user with this ${field} already exists.`, undefined);
        }
        throw err;
      }
    },
  );

  app.get<{ Params: Static<typeof UserParam> }>(
    '/users/:user',
    { schema: { tags: ['Users'], params: UserParam, response: { 200: User, ...errors(400, 401) } } },
    async (req) => {
      const user = await userParam(createDirectory(db), req, req.params.user);
      if (user.id !== actorOf(req).user.id) authorize(req, 'user:read');
      return presentUser(db, user);
    },
  );

  for (const action of ['suspend', 'activate'] as const) {
    app.put<{ Params: Static<typeof UserParam> }>(
      `/users/:user/status/${action}`,
      { schema: { tags: ['Users'], params: UserParam, response: { 200: User, ...errors(400, 401, 403) } } },
      async (req) => {
        const actor = authorize(req, 'user:update');
        const user = await userParam(createDirectory(db), req, req.params.user);
        if (user.id === actor.user.id) throw badRequest(`You cannot ${action} yourself.`);
        if (user.is_system) throw forbidden('System users cannot be modified.');
        if (user.rbac_roles.includes('owner') && !actor.roles.includes('owner')) throw forbidden();
        const status = action === 'suspend' ? 'suspended' : 'active';
        if (user.status === status) return presentUser(db, user);
        const updated = await db.tx(async (t) => {
          const u = await users.updateUserStatus(t, user.id, status);
          await events.userStatusChanged(ctx, t, u, action === 'suspend' ? 'suspended' : 'activated', actor.user);
          return u;
        });
        return presentUser(db, updated);
      },
    );
  }

  app.delete<{ Params: Static<typeof UserParam> }>(
    '/users/:user',
    { schema: { tags: ['Users'], params: UserParam, response: { 200: MessageResponse, ...errors(400, 401, 403) } } },
    async (req) => {
      const actor = authorize(req, 'user:delete');
      const user = await userParam(createDirectory(db), req, req.params.user);
      if (user.id === actor.user.id) throw forbidden('You cannot delete yourself!');
      if (user.is_system) throw forbidden('System users cannot be deleted.');
      if (user.rbac_roles.includes('owner') && !actor.roles.includes('owner')) throw forbidden();
      await db.tx(async (t) => {
        await users.softDeleteUser(t, user.id);
        await events.userDeleted(ctx, t, user, actor.user);
      });
      return { message: 'User has been deleted!' };
    },
  );

  app.put<{ Params: Static<typeof UserParam>; Body: Static<typeof Roles> }>(
    '/users/:user/roles',
    { schema: { tags: ['Users'], params: UserParam, body: Roles, response: { 200: User, ...errors(400, 401, 403) } } },
    async (req) => {
      const actor = authorize(req, 'user:assign_roles');
      const user = await userParam(createDirectory(db), req, req.params.user);
      if (user.id === actor.user.id) throw badRequest('You cannot change your own roles.');
      if (user.is_system) throw forbidden('System users cannot be modified.');
      const wanted = [...new Set(req.body.roles.filter((r) => r !== 'member'))];
      const invalid = wanted.filter((r) => !isSiteRole(r));
      if (invalid.length) {
        throw badRequest('Invalid roles.', undefined, invalid.map((r) => ({ field: 'roles', detail: `"${r}" is not a site role; owner, user-admin and template-admin are` })));
      }
      const changed = [...wanted.filter((r) => !user.rbac_roles.includes(r)), ...user.rbac_roles.filter((r) => !wanted.includes(r))];
      for (const r of changed) {
        if (!canAssignRole(actor.roles, r)) throw forbidden(`You cannot assign or remove the role "${r}".`);
      }
      return presentUser(db, await users.updateUserRoles(db, user.id, wanted));
    },
  );

  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof CreateToken> }>(
    '/users/:user/keys/tokens',
    {
      schema: {
        tags: ['Users'],
        params: UserParam,
        body: CreateToken,
        response: { 201: CreateTokenResponse, ...errors(400, 401, 403) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const user = await userParam(createDirectory(db), req, req.params.user);
      if (user.id !== actor.user.id && !actor.roles.includes('owner')) throw forbidden();
      // lifetime is nanoseconds on the wire, as the reference's Go duration.
      const lifetimeMs = req.body.lifetime ? Math.floor(req.body.lifetime / 1e6) : 30 * 24 * 3600 * 1000;
      if (lifetimeMs > ctx.config.auth.maxTokenLifetime) {
        throw badRequest('Failed to create token.', `lifetime must be less than ${ctx.config.auth.maxTokenLifetime / 3_600_000}h`, [
          { field: 'lifetime', detail: 'exceeds the maximum token lifetime' },
        ]);
      }
      if (lifetimeMs < 1000) throw badRequest('Failed to create token.', 'lifetime must be at least one second');
      try {
        const { token } = await createApiKey(db, {
          userId: user.id,
          loginType: 'token',
          lifetimeMs,
          tokenName: req.body.token_name || `token-${Date.now()}`,
        });
        return reply.status(201).send({ key: token });
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`A token with name "${req.body.token_name}" already exists.`);
        throw err;
      }
    },
  );

  app.post('/users/logout', { schema: { tags: ['Users'], response: { 200: MessageResponse } } }, async (req, reply) => {
    await deleteApiKey(db, actorOf(req).key.id);
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    return { message: 'Logged out!' };
  });
}

export async function publicUserRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;
  const loginLimiter = new RateLimiter(ctx.config.auth.loginRateLimit);

  app.get('/users/first', { schema: { tags: ['Users'], response: { 200: MessageResponse, 404: MessageResponse } } }, async (_req, reply) => {
    if ((await users.countUsers(db)) > 0) return { message: 'The initial user has already been created!' };
    return reply.status(404).send({ message: 'The initial user has not been created!' });
  });

  app.post<{ Body: Static<typeof CreateFirstUser> }>(
    '/users/first',
    {
      schema: {
        tags: ['Users'],
        body: CreateFirstUser,
        response: { 201: CreateFirstUserResponse, ...errors(400, 409) },
      },
    },
    async (req, reply) => {
      checkPassword(req.body.password);
      const hashed = await hashPassword(req.body.password);
      // Serialised by an advisory lock so two racing requests cannot both become the owner.
      const result = await db.withAdvisoryLock(FIRST_USER_LOCK, async () =>
        db.tx(async (t) => {
          if ((await users.countUsers(t)) > 0) return undefined;
          const u = await users.insertUser(t, {
            email: req.body.email,
            username: req.body.username,
            name: req.body.name ?? '',
            hashedPassword: hashed,
            loginType: 'password',
            roles: ['owner'],
          });
          const org = await users.defaultOrganizationId(t);
          await users.addOrganizationMember(t, u.id, org);
          return { user_id: u.id, organization_id: org };
        }),
      );
      if (!result) throw conflict('The initial user has already been created.');
      return reply.status(201).send(result);
    },
  );

  app.post<{ Body: Static<typeof Login> }>(
    '/users/login',
    {
      schema: {
        tags: ['Users'],
        body: Login,
        response: { 201: LoginResponse, ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      loginLimiter.hit(req.ip);
      if (ctx.config.auth.disablePasswordAuth) throw forbidden('Password authentication is disabled.');
      const user = await users.getUserByEmail(db, req.body.email);
      const stored = user && user.login_type === 'password' && !user.is_system ? Buffer.from(user.hashed_password).toString() : null;
      // Always verify, even without a user, so the answer takes as long either way.
      const ok = await verifyPassword(req.body.password, stored);
      if (!user || !ok) {
        req.log.info({ email_known: !!user }, 'failed login');
        throw unauthorized('Incorrect email or password.');
      }
      if (user.status === 'suspended') {
        throw unauthorized('Your account is suspended. Contact an admin to reactivate your account.');
      }
      const { token } = await createApiKey(db, {
        userId: user.id,
        loginType: 'password',
        lifetimeMs: ctx.config.auth.sessionDuration,
      });
      reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.floor(ctx.config.auth.sessionDuration / 1000)}`,
      );
      return reply.status(201).send({ session_token: token });
    },
  );
}
