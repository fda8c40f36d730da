import { Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/database.js';
import { openPostgres } from '../db/postgres.js';
import { openPGlite } from '../db/pglite.js';
import { migrate } from '../db/migrate.js';
import { buildApp, type RouteModule } from './app.js';
import { describeConfig, splitHostPort, type Config } from './config.js';
import type { AppContext } from './context.js';
import type { Logger } from '../lib/logger.js';
import { systemClock, type Service } from '../lib/service.js';
import { createEnqueuer } from '../notifications/enqueue.js';
import { createPlatform } from '../platform/platform.js';
import { platformRoutes } from '../api/platform.js';
import { createNotifications } from '../notifications/services.js';
import { lazySecretBox } from '../lib/secrets.js';
import { notificationRoutes } from '../api/notifications.js';
import { authenticate } from '../api/auth.js';
import { createDirectory } from '../platform/directory.js';
import { authModule } from '../auth/module.js';

export type { Service };

export interface StartOptions {
  config: Config;
  log: Logger;
  /** An already open database (tests); otherwise opened from the config and closed on stop. */
  db?: Database;
  now?: () => Date;
}

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  url: string;
  services: Record<string, Service>;
  stop(): Promise<void>;
}

export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  if (config.pgConnectionUrl) return openPostgres({ url: config.pgConnectionUrl, log });
  log.info({ data_dir: config.dataDir }, 'using the embedded database');
  return openPGlite(config.dataDir);
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const { config, log } = opts;
  const ownsDb = !opts.db;
  const db = opts.db ?? (await openDatabase(config, log));
  const shutdown = new AbortController();
  try {
    const applied = await migrate(db);
    if (applied.length) log.info({ migrations: applied }, 'database migrated');

    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const ctx: AppContext = {
      config,
      db,
      log,
      registry,
      shutdown: shutdown.signal,
      enqueuer: createEnqueuer({
        db,
        notifications: config.notifications,
        email: config.email,
        accessUrl: config.accessUrl,
        log: log.child({ component: 'enqueuer' }),
        now: opts.now,
      }),
    };
    const { modules, services } = assembleModules(ctx);

    let stopping = false;
    const app = await buildApp({ ctx, modules, healthy: async () => !stopping && (await db.ping()) });
    const [host, port] = splitHostPort(config.httpAddress);
    await app.listen({ host, port });
    const addr = app.server.address();
    const url = typeof addr === 'object' && addr ? `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}` : '';
    for (const s of Object.values(services)) await s.start();
    log.info({ url, access_url: config.accessUrl, engine: db.engine }, 'herald server started');

    return {
      app,
      ctx,
      url,
      services,
      async stop() {
        if (stopping) return;
        stopping = true;
        shutdown.abort();
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

/** The workspace platform, built from its explicit dependencies. */
function platformModule(ctx: AppContext): Module {
  const { config } = ctx;
  const platform = createPlatform({
    db: ctx.db,
    log: ctx.log,
    clock: systemClock,
    enqueuer: ctx.enqueuer,
    registry: ctx.registry,
    prebuilds: config.prebuilds,
    provisioner: config.provisioner,
  });
  return { routes: platformRoutes(platform), services: platform.services };
}

/** Notifications: its services from explicit dependencies, its routes from src/api/. */
function notificationsModule(ctx: AppContext): Module {
  const { config } = ctx;
  const n = createNotifications({
    db: ctx.db,
    log: ctx.log,
    registry: ctx.registry,
    enqueuer: ctx.enqueuer,
    accessUrl: config.accessUrl,
    notifications: config.notifications,
    email: config.email,
    secrets: lazySecretBox({ keyFile: config.secretsKeyFile, dataDir: config.dataDir }),
  });
  const routes = notificationRoutes(n, {
    directory: createDirectory(ctx.db),
    accessUrl: config.accessUrl,
    customRateLimit: config.notifications.customRateLimit,
    authenticate: authenticate(ctx),
    describeConfig: () => describeConfig(config),
  });
  return { routes, services: n.background };
}

/** The feature folders, in registration order. */
export const FEATURE_MODULES = [notificationsModule, authModule, platformModule];

export function assembleModules(ctx: AppContext): { modules: RouteModule[]; services: Record<string, Service> } {
  const modules: RouteModule[] = [];
  const services: Record<string, Service> = {};
  for (const mod of FEATURE_MODULES) {
    const m = mod(ctx);
    if (m.routes) modules.push(m.routes);
    Object.assign(services, m.services ?? {});
  }
  return { modules, services };
}

/** What a feature folder contributes to the server: routes and background services. */
export interface Module {
  routes?: RouteModule;
  services?: Record<string, Service>;
}
