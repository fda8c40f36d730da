import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Directory } from '../../platform/directory.js';
import type { WebPushService } from '../../notifications/webpush/service.js';
import { actorOf } from '../auth.js';
import { userParam } from '../params.js';
import { errors, UserParam } from '../../contract/common.js';
import { DeleteWebpushSubscription, WebpushPublicKey, WebpushSubscription } from '../../contract/channels.js';

/** Browser push: the VAPID public key, a user's subscriptions, a test push (paths as the reference). */
export async function webpushRoutes(app: FastifyInstance, deps: { webpush: WebPushService; directory: Directory }): Promise<void> {
  const { webpush, directory } = deps;
  const tags = ['Notifications'];
  type P = { Params: Static<typeof UserParam> };
  const target = (req: FastifyRequest<P>) => userParam(directory, req, req.params.user);

  app.get('/notifications/webpush/public-key', { schema: { tags, response: { 200: WebpushPublicKey, ...errors(401) } } }, async () => ({
    public_key: await webpush.publicKey(),
  }));

  app.post<P & { Body: Static<typeof WebpushSubscription> }>(
    '/users/:user/webpush/subscription',
    { schema: { tags, params: UserParam, body: WebpushSubscription, response: { ...errors(400, 401, 403) } } },
    async (req, reply) => {
      await webpush.subscribe(actorOf(req), await target(req), req.body);
      return reply.code(204).send();
    },
  );

  app.delete<P & { Body: Static<typeof DeleteWebpushSubscription> }>(
    '/users/:user/webpush/subscription',
    { schema: { tags, params: UserParam, body: DeleteWebpushSubscription, response: { ...errors(400, 401, 403, 404) } } },
    async (req, reply) => {
      await webpush.unsubscribe(actorOf(req), await target(req), req.body.endpoint);
      return reply.code(204).send();
    },
  );

  app.post<P>(
    '/users/:user/webpush/test',
    { schema: { tags, params: UserParam, response: { ...errors(400, 401, 403) } } },
    async (req, reply) => {
      await webpush.test(actorOf(req), await target(req));
      return reply.code(204).send();
    },
  );
}
