import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Directory } from '../../platform/directory.js';
import type { DestinationService } from '../../notifications/destinations/service.js';
import { actorOf } from '../auth.js';
import { userParam } from '../params.js';
import { errors, UserParam } from '../../contract/common.js';
import { CreatedUserDestination, CreateUserDestination, DestinationKinds, DestinationParam, UserDestination, VerifyUserDestination } from '../../contract/channels.js';

/** A user's own destinations: list, add (a code is sent there), verify with the code, delete. */
export async function destinationRoutes(app: FastifyInstance, deps: { destinations: DestinationService; directory: Directory }): Promise<void> {
  const { destinations, directory } = deps;
  const tags = ['Notifications'];
  const target = (req: FastifyRequest<{ Params: { user: string } }>) => userParam(directory, req, req.params.user);
  const base = '/users/:user/notifications/destinations';

  app.get(
    '/notifications/destinations/kinds',
    { schema: { tags, summary: 'The kinds of destination users may add', response: { 200: DestinationKinds, ...errors(401) } } },
    async () => ({ kinds: [...destinations.kinds()] }),
  );

  app.get<{ Params: Static<typeof UserParam> }>(
    base,
    { schema: { tags, params: UserParam, response: { 200: Type.Array(UserDestination), ...errors(400, 401, 403) } } },
    async (req) => destinations.list(actorOf(req), await target(req)),
  );

  app.post<{ Params: Static<typeof UserParam>; Body: Static<typeof CreateUserDestination> }>(
    base,
    { schema: { tags, params: UserParam, body: CreateUserDestination, response: { 201: CreatedUserDestination, ...errors(400, 401, 403) } } },
    async (req, reply) => reply.code(201).send(await destinations.create(actorOf(req), await target(req), req.body)),
  );

  app.post<{ Params: Static<typeof DestinationParam>; Body: Static<typeof VerifyUserDestination> }>(
    `${base}/:destination/verify`,
    { schema: { tags, params: DestinationParam, body: VerifyUserDestination, response: { 200: UserDestination, ...errors(400, 401, 403, 404, 429) } } },
    async (req) => destinations.verify(actorOf(req), await target(req), req.params.destination, req.body.code),
  );

  app.delete<{ Params: Static<typeof DestinationParam> }>(
    `${base}/:destination`,
    { schema: { tags, params: DestinationParam, response: { ...errors(400, 401, 403, 404) } } },
    async (req, reply) => {
      await destinations.remove(actorOf(req), await target(req), req.params.destination);
      return reply.code(204).send();
    },
  );
}
