import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../server/context.js';
import { getSiteConfig, setSiteConfig } from '../../db/site-config.js';
import { notify } from '../../db/database.js';
import { can } from '../../auth/roles.js';
import { actorOf, authorize } from '../auth.js';
import { badRequest, HttpError, notFound } from '../errors.js';
import { errors, MessageResponse } from '../../contract/common.js';
import {
  MessagesQuery,
  MethodBody,
  NotificationSettings as Settings,
  NotificationTemplate,
  PreviewBody,
  TemplateParam,
} from '../../contract/notifications.js';
import { ENQUEUED_CHANNEL } from '../../notifications/enqueue.js';
import { getTemplate, listTemplates, setTemplateMethod, toTemplateJson } from '../../notifications/templates/store.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../notifications/templates/catalogue.js';
import { NOTIFICATION_METHODS, type MessagePayload, type NotificationMethod } from '../../notifications/types.js';
import { renderActions, renderTitleBody } from '../../notifications/render/message.js';
import { markdownToHtml, markdownToPlaintext } from '../../notifications/render/markdown.js';
import { listMessages, toMessageJson } from '../../notifications/messages.js';
import { DEFAULT_APP_NAME, DEFAULT_LOGO_URL } from '../../notifications/dispatch/dispatcher.js';
import { getAppearance } from '../../notifications/dispatch/queries.js';
import { displayName } from '../../platform/users/events.js';

export const SETTINGS_KEY = 'notifications_settings';


async function readSettings(ctx: AppContext): Promise<string> {
  return (await getSiteConfig(ctx.db, SETTINGS_KEY)) ?? '{}';
}

function templateParam(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw badRequest(`Invalid UUID "${id}".`, undefined, [{ field: 'notification_template', detail: 'must be a UUID' }]);
  }
  return id;
}

export async function notificationAdminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.db;
  const tags = ['Notifications'];

  app.get('/notifications/settings', { schema: { tags, response: { 200: Settings } } }, async () => {
    const s = JSON.parse(await readSettings(ctx)) as { notifier_paused?: boolean };
    return { notifier_paused: s.notifier_paused ?? false };
  });

  app.put<{ Body: Static<typeof Settings> }>(
    '/notifications/settings',
    { schema: { tags, body: Settings, response: { 200: Settings, ...errors(400, 401, 403) } } },
    async (req, reply) => {
      const value = JSON.stringify({ notifier_paused: req.body.notifier_paused });
      // As the reference: an unchanged value answers 304 before the permission check.
      if (value === (await readSettings(ctx))) return reply.status(304).send();
      authorize(req, 'deployment_config:update');
      await db.tx(async (t) => {
        await setSiteConfig(t, SETTINGS_KEY, value);
        // Resuming should deliver what queued up at once, not at the next poll.
        await notify(t, ENQUEUED_CHANNEL, '');
      });
      req.log.info({ notifier_paused: req.body.notifier_paused, by: actorOf(req).user.username }, 'notification settings changed');
      return req.body;
    },
  );

  for (const kind of ['system', 'custom'] as const) {
    app.get(`/notifications/templates/${kind}`, { schema: { tags, response: { 200: Type.Array(NotificationTemplate) } } }, async () =>
      (await listTemplates(db, kind)).map(toTemplateJson),
    );
  }

  app.put<{ Params: Static<typeof TemplateParam>; Body: Static<typeof MethodBody> }>(
    '/notifications/templates/:notification_template/method',
    { schema: { tags, params: TemplateParam, body: MethodBody, response: { 200: MessageResponse, ...errors(400, 401, 404) } } },
    async (req, reply) => {
      if (!can(actorOf(req).roles, 'notification_template:update')) throw notFound();
      const template = await getTemplate(db, templateParam(req.params.notification_template));
      if (!template) throw notFound();
      const method = req.body.method;
      if (!(NOTIFICATION_METHODS as readonly string[]).includes(method)) {
        throw badRequest('Invalid request to update notification template method', undefined, [
          { field: 'method', detail: `"${method}" is not a valid method; smtp, webhook, inbox are the available options` },
        ]);
      }
      if (template.method === method) return reply.status(304).send();
      await setTemplateMethod(db, template.id, method as NotificationMethod);
      req.log.info({ template: template.name, method, by: actorOf(req).user.username }, 'notification template method changed');
      return { message: 'Successfully updated notification template method.' };
    },
  );

  // Herald addition: the reference cannot reset a method to the deployment default.
  app.delete<{ Params: Static<typeof TemplateParam> }>(
    '/notifications/templates/:notification_template/method',
    { schema: { tags, params: TemplateParam, response: { 200: MessageResponse, ...errors(400, 401, 404) } } },
    async (req, reply) => {
      if (!can(actorOf(req).roles, 'notification_template:update')) throw notFound();
      const template = await getTemplate(db, templateParam(req.params.notification_template));
      if (!template) throw notFound();
      if (template.method === null) return reply.status(304).send();
      await setTemplateMethod(db, template.id, null);
      return { message: 'Notification template method reset to the deployment default.' };
    },
  );

  app.get('/notifications/dispatch-methods', { schema: { tags } }, async () => ({
    available: ['smtp', 'webhook'],
    default: ctx.config.notifications.method,
  }));

  app.post('/notifications/test', { schema: { tags, response: { ...errors(401, 403) } } }, async (req, reply) => {
    const actor = authorize(req, 'deployment_config:update');
    await ctx.enqueuer.enqueue({
      userId: actor.user.id,
      templateId: TEMPLATE_TEST_NOTIFICATION,
      labels: {},
      data: { timestamp: new Date().toISOString() },
      createdBy: 'send-test-notification',
    });
    return reply.status(204).send();
  });

  app.post<{ Params: Static<typeof TemplateParam>; Body: Static<typeof PreviewBody> }>(
    '/notifications/templates/:notification_template/preview',
    { schema: { tags, params: TemplateParam, body: PreviewBody, response: { ...errors(400, 401, 403, 404) } } },
    async (req) => {
      const actor = authorize(req, 'deployment_config:read');
      const template = await getTemplate(db, templateParam(req.params.notification_template));
      if (!template) throw notFound();
      const a = await getAppearance(db);
      const helpers = {
        base_url: ctx.config.accessUrl,
        current_year: String(new Date().getUTCFullYear()),
        app_name: a.application_name || DEFAULT_APP_NAME,
        logo_url: a.logo_url || `${ctx.config.accessUrl}${DEFAULT_LOGO_URL}`,
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

  app.get<{ Querystring: Static<typeof MessagesQuery> }>(
    '/notifications/messages',
    { schema: { tags, querystring: MessagesQuery, response: { ...errors(400, 401, 403) } } },
    async (req) => {
      authorize(req, 'notification_message:read');
      const q = req.query;
      const { rows, count } = await listMessages(db, {
        status: q.status,
        method: q.method,
        templateId: q.template_id,
        userId: q.user_id,
        limit: q.limit ?? 50,
        offset: q.offset ?? 0,
      });
      return { messages: rows.map(toMessageJson), count };
    },
  );
}
