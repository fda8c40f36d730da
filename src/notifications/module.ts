import type { AppContext } from '../server/context.js';
import type { Module } from '../server/server.js';
import type { DeliveryMethod, NotificationMethod } from './types.js';
import { createNotificationMetrics } from './metrics.js';
import { createSmtpMethod } from './dispatch/smtp.js';
import { createWebhookMethod } from './dispatch/webhook.js';
import { createInboxMethod } from './dispatch/inbox.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { notificationAdminRoutes } from '../api/routes/notifications.js';
import { preferenceRoutes } from '../api/routes/preferences.js';
import { deploymentRoutes } from '../api/routes/deployment.js';
import { inboxRoutes, inboxWatchRoute } from '../api/routes/inbox.js';
import { customNotificationRoutes } from '../api/routes/custom.js';
import { InboxWatchHub } from './inbox/watch-hub.js';

/** Delivery methods from the configuration; a method that cannot work says why. */
export function createMethods(ctx: AppContext): {
  methods: Partial<Record<NotificationMethod, DeliveryMethod>>;
  unavailable: Partial<Record<NotificationMethod, string>>;
} {
  const { email, notifications } = ctx.config;
  const methods: Partial<Record<NotificationMethod, DeliveryMethod>> = {
    smtp: createSmtpMethod(
      {
        from: email.from,
        smarthost: email.smarthost,
        hello: email.hello,
        forceTls: email.forceTls,
        auth: email.auth,
        tls: email.tls,
      },
      ctx.log.child({ component: 'smtp' }),
    ),
    inbox: createInboxMethod(ctx.db),
  };
  const unavailable: Partial<Record<NotificationMethod, string>> = {};
  if (notifications.webhook.endpoint) {
    methods.webhook = createWebhookMethod({
      endpoint: notifications.webhook.endpoint,
      secret: notifications.webhook.secret,
      log: ctx.log.child({ component: 'webhook' }),
    });
  } else {
    unavailable.webhook = 'webhook endpoint not defined';
  }
  return { methods, unavailable };
}

/** The notification engine's routes and background services. */
export function notificationsModule(ctx: AppContext): Module {
  const { methods, unavailable } = createMethods(ctx);
  const dispatcher = new Dispatcher({
    db: ctx.db,
    config: ctx.config.notifications,
    accessUrl: ctx.config.accessUrl,
    methods,
    unavailable,
    metrics: createNotificationMetrics(ctx.registry),
    log: ctx.log.child({ component: 'dispatcher' }),
  });
  const watchHub = new InboxWatchHub({ db: ctx.db, log: ctx.log.child({ component: 'inbox-watch' }) });
  ctx.shutdown.addEventListener('abort', () => void watchHub.stop(), { once: true });
  return {
    routes: {
      authed: async (app, c) => {
        await notificationAdminRoutes(app, c);
        await preferenceRoutes(app, c);
        await deploymentRoutes(app, c);
        await inboxRoutes(app, c);
        await customNotificationRoutes(app, c);
      },
      // The inbox watch authenticates itself: it also takes the token as a query parameter.
      custom: async (app, c) => {
        await inboxWatchRoute(app, c, watchHub);
      },
    },
    services: {
      inboxWatch: { start: () => watchHub.start(), stop: () => watchHub.stop() },
      // `instance`: tests wait on the dispatcher's lifecycle events.
      dispatcher: Object.assign({
        start: () => dispatcher.start(),
        async stop() {
          await dispatcher.stop();
          await Promise.allSettled(Object.values(methods).map((m) => m?.close?.()));
        },
      }, { instance: dispatcher }),
    },
  };
}
