import type { Queryable } from '../db/database.js';
import type { Actor } from '../access/actor.js';
import { can, type Permission } from '../access/roles.js';
import { Forbidden, Invalid, NotFound } from '../lib/errors.js';
import { UUID_RE } from '../lib/ids.js';
import type { Clock } from '../lib/service.js';
import type { Logger } from '../lib/logger.js';
import type { Enqueuer } from './enqueue.js';
import { listMessages, toMessageJson, type MessageFilter } from './messages.js';
import { TEMPLATE_TEST_NOTIFICATION } from './templates/catalogue.js';
import { getTemplate, listTemplates, setTemplateMethod, toTemplateJson, type NotificationTemplateJson, type TemplateRow } from './templates/store.js';
import { NOTIFICATION_METHODS, type NotificationMethod } from './types.js';

/** What owners manage: templates' delivery methods, the delivery history, a test notification. */
export interface NotificationAdmin {
  templates(kind: 'system' | 'custom'): Promise<NotificationTemplateJson[]>;
  /** A template by its id (a UUID, else Invalid); NotFound when there is none. */
  template(id: string): Promise<TemplateRow>;
  setTemplateMethod(actor: Actor, templateId: string, method: string): Promise<'changed' | 'unchanged'>;
  /** Back to the deployment default. */
  resetTemplateMethod(actor: Actor, templateId: string): Promise<'changed' | 'unchanged'>;
  dispatchMethods(): { available: string[]; default: string };
  /** Sends the caller a test notification through every configured method; answers those methods. */
  sendTestNotification(actor: Actor): Promise<NotificationMethod[]>;
  messages(actor: Actor, f: MessageFilter): Promise<{ messages: ReturnType<typeof toMessageJson>[]; count: number }>;
}

export interface NotificationAdminDeps {
  db: Queryable;
  enqueuer: Enqueuer;
  log: Logger;
  clock: Clock;
  /** The deployment's default delivery method. */
  defaultMethod: string;
  /** Chat channels with a deployment destination (listed as available beside smtp and webhook). */
  configuredChannels?: readonly string[];
  /** The methods that can deliver: SMTP with a smarthost, a webhook with an endpoint, the inbox when enabled. */
  configuredMethods: NotificationMethod[];
}

function demand(actor: Actor, perm: Permission): void {
  if (!can(actor.roles, perm)) throw new Forbidden();
}

export function createNotificationAdmin(deps: NotificationAdminDeps): NotificationAdmin {
  const { db, log } = deps;

  async function template(id: string): Promise<TemplateRow> {
    if (!UUID_RE.test(id)) {
      throw new Invalid(`Invalid UUID "${id}".`, undefined, [{ field: 'notification_template', detail: 'must be a UUID' }]);
    }
    const t = await getTemplate(db, id);
    if (!t) throw new NotFound();
    return t;
  }

  // Templates are not secret, but who may not change them is told they do not exist, as the reference does.
  async function editable(actor: Actor, id: string): Promise<TemplateRow> {
    if (!can(actor.roles, 'notification_template:update')) throw new NotFound();
    return template(id);
  }

  return {
    template,
    async templates(kind) {
      return (await listTemplates(db, kind)).map(toTemplateJson);
    },
    async setTemplateMethod(actor, id, method) {
      const t = await editable(actor, id);
      if (!(NOTIFICATION_METHODS as readonly string[]).includes(method)) {
        throw new Invalid('Invalid request to update notification template method', undefined, [
          { field: 'method', detail: `"${method}" is not a valid method; ${NOTIFICATION_METHODS.join(', ')} are the available options` },
        ]);
      }
      if (t.method === method) return 'unchanged';
      await setTemplateMethod(db, t.id, method as NotificationMethod);
      log.info({ template: t.name, method, by: actor.user.username }, 'notification template method changed');
      return 'changed';
    },
    async resetTemplateMethod(actor, id) {
      const t = await editable(actor, id);
      if (t.method === null) return 'unchanged';
      await setTemplateMethod(db, t.id, null);
      log.info({ template: t.name, by: actor.user.username }, 'notification template method reset to the default');
      return 'changed';
    },
    // As the reference: smtp and webhook always (inbox is implicit); the chat channels once configured.
    dispatchMethods: () => ({ available: ['smtp', 'webhook', ...(deps.configuredChannels ?? [])], default: deps.defaultMethod }),
    async sendTestNotification(actor) {
      demand(actor, 'deployment_config:update');
      // Every configured method, and the one an admin chose for the test template (a channel such as
      // web push or user destinations that is not tried by default).
      const chosen = (await getTemplate(db, TEMPLATE_TEST_NOTIFICATION))?.method;
      const methods = chosen && !deps.configuredMethods.includes(chosen) ? [...deps.configuredMethods, chosen] : deps.configuredMethods;
      if (!methods.length) return [];
      await deps.enqueuer.enqueueMany([
        {
          methods,
          userId: actor.user.id,
          templateId: TEMPLATE_TEST_NOTIFICATION,
          labels: {},
          data: { timestamp: deps.clock().toISOString() },
          createdBy: 'send-test-notification',
        },
      ]);
      return methods;
    },
    async messages(actor, f) {
      demand(actor, 'notification_message:read');
      const { rows, count } = await listMessages(db, f);
      return { messages: rows.map(toMessageJson), count };
    },
  };
}
