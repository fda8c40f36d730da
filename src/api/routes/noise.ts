import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Directory } from '../../platform/directory.js';
import type { GroupingService } from '../../notifications/grouping/service.js';
import { actorOf } from '../auth.js';
import { userParam } from '../params.js';
import { errors, UserParam } from '../../contract/common.js';
import { TemplateParam } from '../../contract/notifications.js';
import { DeliverySchedule, TemplateGrouping, TemplateGroupingBody } from '../../contract/noise.js';

/** Grouping and throttles per template (owners), digests and quiet hours per user (issue 19). */
export async function noiseRoutes(app: FastifyInstance, deps: { grouping: GroupingService; directory: Directory }): Promise<void> {
  const { grouping, directory } = deps;
  const tags = ['Notifications'];

  app.get<{ Params: Static<typeof TemplateParam> }>(
    '/notifications/templates/:notification_template/grouping',
    { schema: { tags, params: TemplateParam, response: { 200: TemplateGrouping, ...errors(400, 401, 404) } } },
    async (req) => grouping.templateGrouping(req.params.notification_template),
  );

  app.put<{ Params: Static<typeof TemplateParam>; Body: Static<typeof TemplateGroupingBody> }>(
    '/notifications/templates/:notification_template/grouping',
    { schema: { tags, params: TemplateParam, body: TemplateGroupingBody, response: { 200: TemplateGrouping, ...errors(400, 401, 404) } } },
    async (req) => grouping.setTemplateGrouping(actorOf(req), req.params.notification_template, req.body),
  );

  app.get<{ Params: Static<typeof UserParam> }>(
    '/users/:user/notifications/schedule',
    { schema: { tags, params: UserParam, response: { 200: DeliverySchedule, ...errors(400, 401, 403) } } },
    async (req) => grouping.schedule(actorOf(req), await userParam(directory, req, req.params.user)),
  );

  app.put<{ Params: Static<typeof UserParam>; Body: Static<typeof DeliverySchedule> }>(
    '/users/:user/notifications/schedule',
    { schema: { tags, params: UserParam, body: DeliverySchedule, response: { 200: DeliverySchedule, ...errors(400, 401, 403) } } },
    async (req) => grouping.setSchedule(actorOf(req), await userParam(directory, req, req.params.user), req.body),
  );
}
