import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { EmailConfig, NotificationsConfig } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import { systemClock, type Clock, type Service } from '../lib/service.js';
import { CHANNEL_METHODS, type DeliveryMethod, type NotificationMethod } from './types.js';
import type { Enqueuer } from './enqueue.js';
import { createNoiseMetrics, createNotificationMetrics } from './metrics.js';
import { ENQUEUED_CHANNEL } from './enqueue.js';
import { GroupReleaser } from './grouping/release.js';
import { createGroupingService, type GroupingService } from './grouping/service.js';
import type { Scheduler } from './dispatch/scheduler.js';
import { createSmtpMethod } from './dispatch/smtp.js';
import { createWebhookMethod } from './dispatch/webhook.js';
import { createInboxMethod } from './dispatch/inbox.js';
import { createSlackMethod } from './dispatch/slack.js';
import { createTeamsMethod } from './dispatch/teams.js';
import { createDiscordMethod } from './dispatch/discord.js';
import { createWebPushMethod } from './dispatch/webpush.js';
import { createWebPushService, type WebPushService } from './webpush/service.js';
import { lazySecretBox, type SecretBox } from '../lib/secrets.js';
import { createDestinationService, type DestinationService } from './destinations/service.js';
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
  /** Seals stored secrets (VAPID private key, destination secrets); default: a key in ./.herald. */
  secrets?: SecretBox;
  clock?: Clock;
  /** Where time-driven work (group and digest releases) arms its timers; tests move it with the clock. */
  scheduler?: Scheduler;
}

/** The notification area: the services its routes call and the background services the server runs. */
export interface Notifications {
  settings: SettingsService;
  preferences: PreferenceService;
  inbox: InboxService;
  custom: CustomNotifications;
  admin: NotificationAdmin;
  watchHub: InboxWatchHub;
  webpush: WebPushService;
  destinations: DestinationService;
  /** Renders a template exactly as delivery will (the preview route). */
  preparer: MessagePreparer;
  dispatcher: Dispatcher;
  /** Grouping, throttles, digests and quiet hours: the rules' API. */
  grouping: GroupingService;
  /** Releases due groups and digests (issue 19). */
  releaser: GroupReleaser;
  /** Started after the server listens, stopped on shutdown. */
  background: { dispatcher: Service & { instance: Dispatcher }; inboxWatch: Service; inboxSnooze: Service; groupReleaser: Service & { instance: GroupReleaser } };
}

/** Delivery methods from the configuration; a method that cannot work says why. */
export function createMethods(deps: Pick<NotificationDeps, 'db' | 'log' | 'notifications' | 'email'> & { webpush?: WebPushService; destinations?: DestinationService }): {
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
  if (!email.smarthost) unavailable.smtp = 'e-mail is not configured: no SMTP smarthost is set';
  if (notifications.webhook.endpoint) {
    methods.webhook = createWebhookMethod({
      endpoint: notifications.webhook.endpoint,
      secret: notifications.webhook.secret,
      log: deps.log.child({ component: 'webhook' }),
      connections: notifications.leaseCount,
    });
  } else {
    unavailable.webhook = 'webhook endpoint not defined';
  }
  const { slack, teams, discord } = notifications;
  if (slack?.botToken || slack?.webhookUrl) {
    methods.slack = createSlackMethod({ botToken: slack.botToken, webhookUrl: slack.webhookUrl, channel: slack.channel, apiUrl: slack.apiUrl });
  } else {
    unavailable.slack = 'slack: neither a bot token nor a webhook URL is configured';
  }
  if (teams?.webhookUrl) methods.teams = createTeamsMethod({ webhookUrl: teams.webhookUrl });
  else unavailable.teams = 'teams webhook URL not defined';
  if (discord?.webhookUrl) methods.discord = createDiscordMethod({ webhookUrl: discord.webhookUrl });
  else unavailable.discord = 'discord webhook URL not defined';
  if (deps.webpush) methods.webpush = createWebPushMethod(deps.webpush);
  else unavailable.webpush = 'browser push is not set up';
  if (deps.destinations && deps.destinations.kinds().length > 0) methods.destination = deps.destinations.method();
  else unavailable.destination = 'user destinations are not enabled (--notifications-user-destinations)';
  return { methods, unavailable };
}

/** Builds the area from explicit dependencies; nothing touches the database until a service is used or started. */
export function createNotifications(deps: NotificationDeps): Notifications {
  const { db, log } = deps;
  const clock = deps.clock ?? systemClock;
  const secrets = deps.secrets ?? lazySecretBox({ keyFile: '', dataDir: './.herald' });
  const webpush = createWebPushService({
    db,
    log: log.child({ component: 'webpush' }),
    secrets,
    accessUrl: deps.accessUrl,
    config: deps.notifications.webpush,
  });
  const destinations = createDestinationService({
    db,
    log: log.child({ component: 'destinations' }),
    secrets,
    enqueuer: deps.enqueuer,
    accessUrl: deps.accessUrl,
    config: deps.notifications.userDestinations,
    clock,
  });
  const { methods, unavailable } = createMethods({ ...deps, webpush, destinations });
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
  const releaser = new GroupReleaser({
    db,
    log: log.child({ component: 'grouping' }),
    accessUrl: deps.accessUrl,
    metrics: createNoiseMetrics(deps.registry),
    channel: ENQUEUED_CHANNEL,
    clock,
    scheduler: deps.scheduler,
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
      configuredChannels: [...CHANNEL_METHODS, 'webpush' as const, 'destination' as const].filter((m) => methods[m] !== undefined),
      // The test notification goes through every one of these.
      configuredMethods: [
        ...(deps.email.smarthost ? (['smtp'] as const) : []),
        ...(deps.notifications.webhook.endpoint ? (['webhook'] as const) : []),
        ...CHANNEL_METHODS.filter((m) => methods[m] !== undefined),
        ...(deps.notifications.inbox.enabled ? (['inbox'] as const) : []),
      ],
    }),
    watchHub,
    webpush,
    destinations,
    preparer: createMessagePreparer({ db, accessUrl: deps.accessUrl, emailLogoUrl: deps.notifications.emailLogoUrl, clock }),
    dispatcher,
    grouping: createGroupingService({ db, clock, log: log.child({ component: 'grouping' }) }),
    releaser,
    background: {
      groupReleaser: { start: () => releaser.start(), stop: () => releaser.stop(), instance: releaser },
      inboxWatch: { start: () => watchHub.start(), stop: () => watchHub.stop() },
      inboxSnooze: snoozeSweeper,
      dispatcher: {
        start: () => dispatcher.start(),
        async stop() {
          await dispatcher.stop();
          await Promise.allSettled(Object.values(methods).map((m) => m?.close?.()));
          destinations.close();
        },
        // Tests wait on the dispatcher's lifecycle events through it.
        instance: dispatcher,
      },
    },
  };
}
