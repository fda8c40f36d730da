import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, authorize } from '../auth.js';
import { HttpError } from '../errors.js';
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
import type { MessagePayload } from '../../notifications/types.js';
import { renderActions, renderTitleBody } from '../../notifications/render/message.js';
import { markdownToHtml, markdownToPlaintext } from '../../notifications/render/markdown.js';
import { DEFAULT_APP_NAME, DEFAULT_LOGO_URL } from '../../notifications/dispatch/dispatcher.js';
import { getAppearance } from '../../notifications/dispatch/queries.js';
import { displayName } from '../../platform/users/events.js';


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

/**
 * Renders a template with the caller's labels and data. This handler still copies the message
 * pipeline (payload building from enqueue.ts, helpers from the dispatcher) and reads the
 * appearance itself: it is to be replaced by the message-preparation service.
 */
export async function templatePreviewRoute(
  app: FastifyInstance,
  deps: { admin: NotificationAdmin; db: Parameters<typeof getAppearance>[0]; accessUrl: string },
): Promise<void> {
  const tags = ['Notifications'];

  app.post<{ Params: Static<typeof TemplateParam>; Body: Static<typeof PreviewBody> }>(
    '/notifications/templates/:notification_template/preview',
    { schema: { tags, params: TemplateParam, body: PreviewBody, response: { ...errors(400, 401, 403, 404) } } },
    async (req) => {
      const actor = authorize(req, 'deployment_config:read');
      const template = await deps.admin.template(req.params.notification_template);
      const a = await getAppearance(deps.db);
      const helpers = {
        base_url: deps.accessUrl,
        current_year: String(new Date().getUTCFullYear()),
        app_name: a.application_name || DEFAULT_APP_NAME,
        logo_url: a.logo_url || `${deps.accessUrl}${DEFAULT_LOGO_URL}`,
      };
      const payload: MessagePayload = {
        _version: '1.2',
        notification_name: template.name,
        notification_template_id: template.id,
        user_id: actor.user.id,
        user_email: actor.user.email,
        user_name: displayName(actor.user),
        user_username: actor.user.username,
        actions: [],
        labels: req.body.labels ?? {},
        data: req.body.data ?? null,
        targets: null,
      };
      try {
        payload.actions = renderActions(template.actions, payload, helpers);
        const { title, body } = renderTitleBody(template, payload, helpers);
        return {
          title: markdownToPlaintext(title),
          title_markdown: title,
          body: markdownToPlaintext(body),
          body_markdown: body,
          body_html: markdownToHtml(body),
          actions: payload.actions,
        };
      } catch (err) {
        throw new HttpError(400, 'Failed to render the template.', (err as Error).message);
      }
    },
  );
}
