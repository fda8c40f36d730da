import { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import { buildApp } from './app.js';
import { resolveConfig } from './config.js';
import { silentLogger } from '../lib/logger.js';
import { assemble } from './server.js';
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
  const config = resolveConfig({ flags: { httpAddress: '127.0.0.1:0', accessUrl: 'http://herald.example.com' } });
  const enqueuer = { enqueueMany: unavailable } as unknown as Enqueuer;
  const log = silentLogger();
  const registry = new Registry();
  const { modules, security } = assemble({ config, db, log, registry, enqueuer });
  const app = await buildApp({ log, registry, accessUrl: config.accessUrl, modules, security, healthy: async () => false });
  await app.ready();
  const doc = app.swagger() as Record<string, unknown>;
  await app.close();
  return doc;
}
