import { Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.js';
import { openDatabase } from './open-database.js';
import { migrate } from '../db/migrate.js';
import { buildApp, type RouteModule, type Security } from './app.js';
import { deploymentValues, describeConfig, splitHostPort, type Config } from './config.js';
import type { Logger } from '../lib/logger.js';
import { startInTurn, systemClock, type Clock, type Service } from '../lib/service.js';
import { parseList } from '../lib/client-address.js';
import { createEnqueuer, type Enqueuer } from '../notifications/enqueue.js';
import { createNotifications, type Notifications } from '../notifications/services.js';
import type { Scheduler } from '../notifications/dispatch/scheduler.js';
import { createPlatform, type Platform } from '../platform/platform.js';
import { createUserService } from '../auth/users/service.js';
import { createAuthServices } from '../auth/module.js';
import { lazySecretBox } from '../lib/secrets.js';
import { authenticate } from '../api/auth.js';
import { notificationRoutes } from '../api/notifications.js';
import { platformRoutes } from '../api/platform.js';
import { userApi } from '../api/users.js';

// The composition root: the one place that turns the configuration into services and hands each
// route module exactly the services it calls.

export type { Service };

export interface StartOptions {
  config: Config;
  log: Logger;
  /** An already open database (tests); otherwise opened from the config and closed on stop. */
  db?: Database;
  /** A database being opened for this server (`herald server`), which closes it on stop. */
  opening?: Promise<Database>;
  now?: Clock;
  /** Timers of time-driven notification work (group and digest releases); tests pair it with `now`. */
  scheduler?: Scheduler;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  config: Config;
  log: Logger;
  db: Database;
  enqueuer: Enqueuer;
  notifications: Notifications;
  platform: Platform;
  services: Record<string, Service>;
  stop(): Promise<void>;
}

export interface AssembleDeps {
  config: Config;
  db: Database;
  log: Logger;
  registry: Registry;
  enqueuer: Enqueuer;
  clock?: Clock;
  scheduler?: Scheduler;
}

export interface Assembly {
  modules: RouteModule[];
  /** Background services, started after the server listens and stopped on shutdown. */
  services: Record<string, Service>;
  security: Security;
  notifications: Notifications;
  platform: Platform;
}

/** Every feature built from explicit dependencies, with its routes. */
export function assemble(deps: AssembleDeps): Assembly {
  const { config, db, log, registry, enqueuer } = deps;
  const clock = deps.clock ?? systemClock;

  const { auth, limiter } = createAuthServices({
    db,
    log,
    enqueuer,
    config: config.auth,
    clock,
    passcodeDeliverable: !!config.email.smarthost || !!config.notifications.webhook.endpoint,
  });
  const security: Security = {
    authenticator: auth,
    limiter,
    apiRateLimit: config.apiRateLimit,
    proxy: { trustedHeaders: parseList(config.proxy.trustedHeaders), trustedOrigins: parseList(config.proxy.trustedOrigins) },
  };

  const platform = createPlatform({
    db,
    log,
    clock,
    enqueuer,
    registry,
    prebuilds: config.prebuilds,
    provisioner: config.provisioner,
    lifecycle: config.lifecycle,
  });
  const notifications = createNotifications({
    db,
    log,
    registry,
    enqueuer,
    accessUrl: config.accessUrl,
    notifications: config.notifications,
    email: config.email,
    secrets: lazySecretBox({ keyFile: config.secretsKeyFile, dataDir: config.dataDir }),
    clock,
    scheduler: deps.scheduler,
  });

  const modules: RouteModule[] = [
    userApi({ auth, users: createUserService({ db, enqueuer }), directory: platform.directory }),
    notificationRoutes(notifications, {
      directory: platform.directory,
      accessUrl: config.accessUrl,
      customLimit: limiter.rule('custom_notification', config.notifications.customRateLimit),
      authenticate: authenticate(auth),
      describeConfig: () => describeConfig(config),
      deploymentValues: () => deploymentValues(config),
    }),
    platformRoutes(platform, { accessUrl: config.accessUrl }),
  ];
  return { modules, services: { ...notifications.background, ...platform.services }, security, notifications, platform };
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config, log } = opts;
  const ownsDb = !opts.db;
  const db = opts.db ?? (await (opts.opening ?? openDatabase(config, log)));
  try {
    const applied = await migrate(db);
    if (applied.length) log.info({ migrations: applied }, 'database migrated');

    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const enqueuer = createEnqueuer({
      db,
      notifications: config.notifications,
      email: config.email,
      accessUrl: config.accessUrl,
      log: log.child({ component: 'enqueuer' }),
      now: opts.now,
    });
    const { modules, services, security, notifications, platform } = assemble({ config, db, log, registry, enqueuer, clock: opts.now, scheduler: opts.scheduler });

    let stopping = false;
    const app = await buildApp({
      log,
      registry,
      accessUrl: config.accessUrl,
      modules,
      security,
      healthy: async () => !stopping && (await db.ping()),
    });
    const [host, port] = splitHostPort(config.httpAddress);
    await app.listen({ host, port });
    const addr = app.server.address();
    const url = typeof addr === 'object' && addr ? `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}` : '';
    await startInTurn(Object.values(services));
    log.info({ url, access_url: config.accessUrl, engine: db.engine }, 'herald server started');

    return {
      app,
      url,
      config,
      log,
      db,
      enqueuer,
      notifications,
      platform,
      services,
      async stop() {
        if (stopping) return;
        stopping = true;
        // Background services first (watchers close, the dispatcher drains), then HTTP.
        await Promise.allSettled(Object.values(services).map((s) => s.stop()));
        await app.close();
        if (ownsDb) await db.close();
        log.info('herald server stopped');
      },
    };
  } catch (err) {
    if (ownsDb) await db.close().catch(() => undefined);
    throw err;
  }
}
