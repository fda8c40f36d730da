import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { EmailConfig, NotificationsConfig } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { systemClock, type Clock, type Service } from '../lib/service.js';
import type { DeliveryMethod, NotificationMethod } from './types.js';
import type { Enqueuer } from './enqueue.js';
import { createNotificationMetrics } from './metrics.js';
import { createSmtpMethod } from './dispatch/smtp.js';
import { createWebhookMethod } from './dispatch/webhook.js';
import { createInboxMethod } from './dispatch/inbox.js';
import { Dispatcher } from './dispatch/dispatcher.js';
import { InboxWatchHub } from './inbox/watch-hub.js';
import { createInboxService, type InboxService } from './inbox/service.js';
import { SnoozeSweeper } from './inbox/snooze.js';
import { createSettingsService, type SettingsService } from './settings.js';
import { createPreferenceService, type PreferenceService } from './preferences.js';
import { createCustomNotifications, type CustomNotifications } from './custom.js';
import { createNotificationAdmin, type NotificationAdmin } from './admin.js';
import { createMessagePreparer, type MessagePreparer } from './prepare.js';

export interface NotificationDeps {
  db: Database;
  log: Logger;
  /** Where the dispatcher's metrics are registered. */
  registry: Registry;
  enqueuer: Enqueuer;
  accessUrl: string;
  notifications: NotificationsConfig;
  email: EmailConfig;
  clock?: Clock;
}

/** The notification area: the services its routes call and the background services the server runs. */
export interface Notifications {
  settings: SettingsService;
  preferences: PreferenceService;
  inbox: InboxService;
  custom: CustomNotifications;
  admin: NotificationAdmin;
  watchHub: InboxWatchHub;
  /** Renders a template exactly as delivery will (the preview route). */
  preparer: MessagePreparer;
  dispatcher: Dispatcher;
  /** Started after the server listens, stopped on shutdown. */
  background: { dispatcher: Service & { instance: Dispatcher }; inboxWatch: Service; inboxSnooze: Service };
}

/** Delivery methods from the configuration; a method that cannot work says why. */
export function createMethods(deps: Pick<NotificationDeps, 'db' | 'log' | 'notifications' | 'email'>): {
  methods: Partial<Record<NotificationMethod, DeliveryMethod>>;
  unavailable: Partial<Record<NotificationMethod, string>>;
} {
  const { email, notifications } = deps;
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
      deps.log.child({ component: 'smtp' }),
    ),
    inbox: createInboxMethod(deps.db),
  };
  const unavailable: Partial<Record<NotificationMethod, string>> = {};
  if (notifications.webhook.endpoint) {
    methods.webhook = createWebhookMethod({
      endpoint: notifications.webhook.endpoint,
      secret: notifications.webhook.secret,
      log: deps.log.child({ component: 'webhook' }),
    });
  } else {
    unavailable.webhook = 'webhook endpoint not defined';
  }
  return { methods, unavailable };
}

/** Builds the area from explicit dependencies; nothing touches the database until a service is used or started. */
export function createNotifications(deps: NotificationDeps): Notifications {
  const { db, log } = deps;
  const clock = deps.clock ?? systemClock;
  const { methods, unavailable } = createMethods(deps);
  const dispatcher = new Dispatcher({
    db,
    config: deps.notifications,
    accessUrl: deps.accessUrl,
    methods,
    unavailable,
    metrics: createNotificationMetrics(deps.registry),
    log: log.child({ component: 'dispatcher' }),
    clock,
  });
  const watchHub = new InboxWatchHub({
    db,
    log: log.child({ component: 'inbox-watch' }),
    maxPerUser: deps.notifications.inbox.maxWatchersPerUser,
    clock,
  });
  const snoozeSweeper = new SnoozeSweeper({ db, log: log.child({ component: 'inbox-snooze' }), clock });
  return {
    settings: createSettingsService({ db, log: log.child({ component: 'notifications' }) }),
    preferences: createPreferenceService({
      db,
      channels: {
        defaultMethod: deps.notifications.method,
        defaultEnabled: !!deps.email.smarthost || !!deps.notifications.webhook.endpoint,
        inboxEnabled: deps.notifications.inbox.enabled,
      },
    }),
    inbox: createInboxService({ db, clock }),
    custom: createCustomNotifications({ enqueuer: deps.enqueuer, clock }),
    admin: createNotificationAdmin({
      db,
      enqueuer: deps.enqueuer,
      log: log.child({ component: 'notifications' }),
      clock,
      defaultMethod: deps.notifications.method,
      configuredMethods: [
        ...(deps.email.smarthost ? (['smtp'] as const) : []),
        ...(deps.notifications.webhook.endpoint ? (['webhook'] as const) : []),
        ...(deps.notifications.inbox.enabled ? (['inbox'] as const) : []),
      ],
    }),
    watchHub,
    preparer: createMessagePreparer({ db, accessUrl: deps.accessUrl, clock }),
    dispatcher,
    background: {
      inboxWatch: { start: () => watchHub.start(), stop: () => watchHub.stop() },
      inboxSnooze: snoozeSweeper,
      dispatcher: {
        start: () => dispatcher.start(),
        async stop() {
          await dispatcher.stop();
          await Promise.allSettled(Object.values(methods).map((m) => m?.close?.()));
        },
        // Tests wait on the dispatcher's lifecycle events through it.
        instance: dispatcher,
      },
    },
  };
}
