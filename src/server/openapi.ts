import { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import { buildApp } from './app.js';
import { resolveConfig } from './config.js';
import type { AppContext } from './context.js';
import { silentLogger } from '../lib/logger.js';
import { assembleModules, assembleUsers } from './server.js';
import type { Enqueuer } from '../notifications/enqueue.js';

/**
 * The OpenAPI document without a database or a listening socket (for generated docs): routes are
 * registered but never called, so any database use is a bug and throws.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const unavailable = () => {
    throw new Error('no database while generating the OpenAPI document');
  };
  const db = new Proxy({}, { get: () => unavailable }) as unknown as Database;
  const shutdown = new AbortController();
  const config = resolveConfig({ flags: { httpAddress: '127.0.0.1:0', accessUrl: 'http://herald.example.com' } });
  const enqueuer = { enqueue: unavailable } as unknown as Enqueuer;
  const users = assembleUsers({ db, log: silentLogger(), enqueuer, config });
  const ctx: AppContext = {
    config,
    db,
    log: silentLogger(),
    registry: new Registry(),
    enqueuer,
    shutdown: shutdown.signal,
    authenticator: users.security.authenticator,
    limiter: users.security.limiter,
  };
  const { modules } = assembleModules(ctx);
  modules.unshift(users.routes);
  const app = await buildApp({ ctx, modules, healthy: async () => false, security: users.security });
  await app.ready();
  const doc = app.swagger() as Record<string, unknown>;
  shutdown.abort();
  await app.close();
  return doc;
}
