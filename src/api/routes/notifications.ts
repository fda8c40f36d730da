import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, authorize } from '../auth.js';
import { errors, MessageResponse } from '../../contract/common.js';
import {
  MessagesQuery,
  MethodBody,
  NotificationSettings as Settings,
  NotificationTemplate,
  PreviewBody,
  TemplateParam,
} from '../../contract/notifications.js';
import type { NotificationAdmin } from '../../notifications/admin.js';
import type { SettingsService } from '../../notifications/settings.js';
import type { MessagePreparer } from '../../notifications/prepare.js';


export interface NotificationAdminRouteDeps {
  settings: SettingsService;
  admin: NotificationAdmin;
}

export async function notificationAdminRoutes(app: FastifyInstance, deps: NotificationAdminRouteDeps): Promise<void> {
  const { settings, admin } = deps;
  const tags = ['Notifications'];

  app.get('/notifications/settings', { schema: { tags, response: { 200: Settings } } }, async () => settings.get());

  app.put<{ Body: Static<typeof Settings> }>(
    '/notifications/settings',
    { schema: { tags, body: Settings, response: { 200: Settings, ...errors(400, 401, 403) } } },
    async (req, reply) => {
      // As the reference: an unchanged value answers 304 (before the permission check).
      if ((await settings.update(actorOf(req), req.body)) === 'unchanged') return reply.status(304).send();
      return req.body;
    },
  );

  for (const kind of ['system', 'custom'] as const) {
    app.get(`/notifications/templates/${kind}`, { schema: { tags, response: { 200: Type.Array(NotificationTemplate) } } }, async () =>
      admin.templates(kind),
    );
  }

  app.put<{ Params: Static<typeof TemplateParam>; Body: Static<typeof MethodBody> }>(
    '/notifications/templates/:notification_template/method',
    { schema: { tags, params: TemplateParam, body: MethodBody, response: { 200: MessageResponse, ...errors(400, 401, 404) } } },
    async (req, reply) => {
      const r = await admin.setTemplateMethod(actorOf(req), req.params.notification_template, req.body.method);
      if (r === 'unchanged') return reply.status(304).send();
      return { message: 'Successfully updated notification template method.' };
    },
  );

  // Herald addition: the reference cannot reset a method to the deployment default.
  app.delete<{ Params: Static<typeof TemplateParam> }>(
    '/notifications/templates/:notification_template/method',
    { schema: { tags, params: TemplateParam, response: { 200: MessageResponse, ...errors(400, 401, 404) } } },
    async (req, reply) => {
      if ((await admin.resetTemplateMethod(actorOf(req), req.params.notification_template)) === 'unchanged') return reply.status(304).send();
      return { message: 'Notification template method reset to the deployment default.' };
    },
  );

  app.get('/notifications/dispatch-methods', { schema: { tags } }, async () => admin.dispatchMethods());

  app.post('/notifications/test', { schema: { tags, response: { ...errors(401, 403) } } }, async (req, reply) => {
    await admin.sendTestNotification(actorOf(req));
    return reply.status(204).send();
  });

  app.get<{ Querystring: Static<typeof MessagesQuery> }>(
    '/notifications/messages',
    { schema: { tags, querystring: MessagesQuery, response: { ...errors(400, 401, 403) } } },
    async (req) => {
      const q = req.query;
      return admin.messages(actorOf(req), {
        status: q.status,
        method: q.method,
        templateId: q.template_id,
        userId: q.user_id,
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      });
    },
  );
}

/** Renders a template with the caller's labels and data, exactly as delivery would. */
export async function templatePreviewRoute(app: FastifyInstance, deps: { admin: NotificationAdmin; preparer: MessagePreparer }): Promise<void> {
  const tags = ['Notifications'];

  app.post<{ Params: Static<typeof TemplateParam>; Body: Static<typeof PreviewBody> }>(
    '/notifications/templates/:notification_template/preview',
    { schema: { tags, params: TemplateParam, body: PreviewBody, response: { ...errors(400, 401, 403, 404) } } },
    async (req) => {
      const u = authorize(req, 'deployment_config:read').user;
      const template = await deps.admin.template(req.params.notification_template);
      return deps.preparer.preview({
        templateId: template.id,
        user: { id: u.id, email: u.email, name: u.name || u.username, username: u.username },
        labels: req.body.labels,
        data: req.body.data,
      });
    },
  );
}
