import type { FastifyInstance } from 'fastify';
import { actorOf } from '../auth.js';
import { errors } from '../../contract/common.js';
import { CustomNotificationBodyDoc } from '../../contract/notifications.js';
import type { Limit } from '../../auth/rate-limit.js';
import type { CustomNotifications } from '../../notifications/custom.js';

/** POST /notifications/custom: a user sends a notification to themselves (scripts, long tasks). */
export async function customNotificationRoutes(
  app: FastifyInstance,
  deps: { custom: CustomNotifications; limit: Limit },
): Promise<void> {

  app.post(
    '/notifications/custom',
    {
      schema: {
        tags: ['Notifications'],
        summary: 'Send yourself a custom notification',
        // Validated by hand below so the answers match the reference's; documented in the contract.
        body: CustomNotificationBodyDoc,
        response: { ...errors(400, 401, 403, 429) },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      await deps.limit.hit(actor.user.id, 'You are sending custom notifications too fast. Try again later.');
      // Inhibited (the user disabled the template) or a duplicate within the minute: still 204.
      await deps.custom.send(actor, req.body);
      return reply.status(204).send();
    },
  );
}
