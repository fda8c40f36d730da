import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../../auth/service.js';
import type { UserService } from '../../auth/users/service.js';
import type { Directory } from '../../platform/directory.js';
import { actorOf, authorize, clientAddressOf, SESSION_COOKIE } from '../auth.js';
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
  AuthorizationRequest,
  AuthorizationResponse,
  AuthMethods,
  UserListQuery as ListQuery,
  ValidatePassword,
  ValidatePasswordResponse,
} from '../../contract/users.js';
import { checkAll } from '../../access/authcheck.js';
import { validatePassword } from '../../auth/passwords.js';

export interface UserRouteServices {
  users: UserService;
  auth: AuthService;
  directory: Directory;
}

export async function userRoutes(app: FastifyInstance, s: UserRouteServices): Promise<void> {
  app.get('/users/me', { schema: { tags: ['Users'], response: { 200: User, ...errors(401) } } }, async (req) => s.users.present(actorOf(req).user));

  app.get<{ Querystring: Static<typeof ListQuery> }>('/users', { schema: { tags: ['Users'], querystring: ListQuery } }, async (req) => {
    authorize(req, 'user:read');
    return s.users.list({ q: req.query.q, limit: req.query.limit || 100, offset: req.query.offset ?? 0 });
  });

  app.post<{ Body: Static<typeof CreateUser> }>(
    '/users',
    { schema: { tags: ['Users'], body: CreateUser, response: { 201: User, ...errors(400, 401, 403, 409) } } },
    async (req, reply) => {
      const actor = authorize(req, 'user:create');
      const b = req.body;
      const created = await s.users.create(actor, {
        email: b.email,
        username: b.username,
        name: b.name,
        password: b.password,
        loginType: b.login_type === 'none' ? 'none' : 'password',
        organizationIds: b.organization_ids,
        status: b.user_status ?? undefined,
      });
      return reply.status(201).send(created);
    },
  );

  app.get<{ Params: Static<typeof UserParam> }>(
    '/users/:user',
    { schema: { tags: ['Users'], params: UserParam, response: { 200: User, ...errors(400, 401) } } },
    async (req) => {
      const user = await userParam(s.directory, req, req.params.user);
      if (user.id !== actorOf(req).user.id) authorize(req, 'user:read');
      return s.users.present(user);
    },
  );

  for (const action of ['suspend', 'activate'] as const) {
    app.put<{ Params: Static<typeof UserParam> }>(
      `/users/:user/status/${action}`,
      { schema: { tags: ['Users'], params: UserParam, response: { 200: User, ...errors(400, 401, 403) } } },
      async (req) => {
        const actor = authorize(req, 'user:update');
        return s.users.setStatus(actor, await userParam(s.directory, req, req.params.user), action);
      },
    );
  }

  app.delete<{ Params: Static<typeof UserParam> }>(
    '/users/:user',
    { schema: { tags: ['Users'], params: UserParam, response: { 200: MessageResponse, ...errors(400, 401, 403) } } },
    async (req) => {
      const actor = authorize(req, 'user:delete');
      await s.users.delete(actor, await userParam(s.directory, req, req.params.user));
      return { message: 'User has been deleted!' };
    },
  );

  app.put<{ Params: Static<typeof UserParam>; Body: Static<typeof Roles> }>(
    '/users/:user/roles',
    { schema: { tags: ['Users'], params: UserParam, body: Roles, response: { 200: User, ...errors(400, 401, 403) } } },
    async (req) => {
      const actor = authorize(req, 'user:assign_roles');
      return s.users.setRoles(actor, await userParam(s.directory, req, req.params.user), req.body.roles);
    },
  );

  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof CreateToken> }>(
    '/users/:user/keys/tokens',
    {
      schema: {
        tags: ['Users'],
        params: UserParam,
        body: CreateToken,
        response: { 201: CreateTokenResponse, ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const user = await userParam(s.directory, req, req.params.user);
      const key = await s.auth.createToken(actor, user, { lifetimeNs: req.body.lifetime, scope: req.body.scope, tokenName: req.body.token_name });
      return reply.status(201).send({ key });
    },
  );

  app.post<{ Body: Static<typeof AuthorizationRequest> }>(
    '/authcheck',
    { schema: { tags: ['Authorization'], description: 'Reference compatibility (the dashboard\'s permission checks): answers each named `{object: {resource_type, owner_id?}, action}` from Herald\'s roles; resource types Herald does not have answer false (owners: true).', body: AuthorizationRequest, response: { 200: AuthorizationResponse, ...errors(400, 401) } } },
    async (req) => {
      const actor = actorOf(req);
      return checkAll({ userId: actor.user.id, roles: actor.roles }, req.body.checks);
    },
  );

  app.post('/users/logout', { schema: { tags: ['Users'], response: { 200: MessageResponse } } }, async (req, reply) => {
    await s.auth.logout(actorOf(req));
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    return { message: 'Logged out!' };
  });
}

export async function publicUserRoutes(app: FastifyInstance, s: UserRouteServices): Promise<void> {
  // Anonymous, as in the reference: the login page asks before anyone is signed in.
  app.get('/users/authmethods', { schema: { tags: ['Users'], description: 'Reference compatibility (the login page): the sign-in methods. Herald signs in with passwords only. Anonymous.', response: { 200: AuthMethods } } }, async () => ({
    terms_of_service_url: '',
    password: { enabled: true },
    github: { enabled: false, default_provider_configured: false },
    oidc: { enabled: false, signInText: '', iconUrl: '' },
  }));

  // Anonymous too: the setup and password-reset pages check a password before there is a session.
  app.post<{ Body: Static<typeof ValidatePassword> }>(
    '/users/validate-password',
    { schema: { tags: ['Users'], description: 'Reference compatibility: checks a password against the password rules, `{valid, details}`. Anonymous.', body: ValidatePassword, response: { 200: ValidatePasswordResponse, ...errors(400, 429) } } },
    async (req) => {
      const problem = validatePassword(req.body.password);
      return { valid: !problem, details: problem ?? '' };
    },
  );

  app.get('/users/first', { schema: { tags: ['Users'], response: { 200: MessageResponse, 404: MessageResponse } } }, async (_req, reply) => {
    if (await s.users.firstUserExists()) return { message: 'The initial user has already been created!' };
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
      const b = req.body;
      return reply.status(201).send(await s.users.createFirstUser({ email: b.email, username: b.username, name: b.name, password: b.password }));
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
      const { token, maxAgeSeconds } = await s.auth.login({ email: req.body.email, password: req.body.password, clientAddress: clientAddressOf(req) });
      reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`);
      return reply.status(201).send({ session_token: token });
    },
  );
}
