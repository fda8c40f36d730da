import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AuthService } from '../../auth/service.js';
import type { UserService } from '../../platform/users/service.js';
import type { Directory } from '../../platform/directory.js';
import { actorOf, authorize, clientAddressOf, SESSION_COOKIE } from '../auth.js';
import { userParam } from '../params.js';
import { errors, MessageResponse, User, Uuid } from '../../contract/common.js';

export interface UserRouteServices {
  users: UserService;
  auth: AuthService;
  directory: Directory;
}

const Username = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$' });
const Email = Type.String({ format: 'email', maxLength: 320 });
const Name = Type.String({ maxLength: 128 });
const Password = Type.String({ maxLength: 256 });

const CreateFirstUser = Type.Object({ email: Email, username: Username, name: Type.Optional(Name), password: Password, trial: Type.Optional(Type.Boolean()) });
const CreateUser = Type.Object({
  email: Email,
  username: Username,
  name: Type.Optional(Name),
  password: Type.Optional(Password),
  login_type: Type.Optional(Type.Union([Type.Literal('password'), Type.Literal('none'), Type.Literal('')])),
  organization_ids: Type.Optional(Type.Array(Uuid)),
  user_status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('dormant')])),
});
const Login = Type.Object({ email: Type.String({ maxLength: 320 }), password: Password });
const UserParam = Type.Object({ user: Type.String({ minLength: 1, maxLength: 64 }) });
const Roles = Type.Object({ roles: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 16 }) });
const CreateToken = Type.Object({
  lifetime: Type.Optional(Type.Integer({ minimum: 0 })),
  scope: Type.Optional(Type.String({ maxLength: 64 })),
  token_name: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-zA-Z0-9_-]*$' })),
});
const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 256 })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
});

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
        response: { 201: Type.Object({ key: Type.String() }), ...errors(400, 401, 403, 409) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const user = await userParam(s.directory, req, req.params.user);
      const key = await s.auth.createToken(actor, user, { lifetimeNs: req.body.lifetime, scope: req.body.scope, tokenName: req.body.token_name });
      return reply.status(201).send({ key });
    },
  );

  app.post('/users/logout', { schema: { tags: ['Users'], response: { 200: MessageResponse } } }, async (req, reply) => {
    await s.auth.logout(actorOf(req));
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
    return { message: 'Logged out!' };
  });
}

export async function publicUserRoutes(app: FastifyInstance, s: UserRouteServices): Promise<void> {
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
        response: { 201: Type.Object({ user_id: Uuid, organization_id: Uuid }), ...errors(400, 409) },
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
        response: { 201: Type.Object({ session_token: Type.String() }), ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const { token, maxAgeSeconds } = await s.auth.login({ email: req.body.email, password: req.body.password, clientAddress: clientAddressOf(req) });
      reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`);
      return reply.status(201).send({ session_token: token });
    },
  );
}
