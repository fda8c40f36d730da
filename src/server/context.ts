import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Config } from './config.js';
import type { Logger } from '../lib/logger.js';
import type { Enqueuer } from '../notifications/enqueue.js';
import type { Authenticator } from '../auth/service.js';
import type { RateLimiter } from '../auth/rate-limit.js';

/** What every route and service may use; built once per server. */
export interface AppContext {
  config: Config;
  db: Database;
  log: Logger;
  registry: Registry;
  enqueuer: Enqueuer;
  /** Until the notification routes take their services explicitly: the inbox watch authenticates with it. */
  authenticator: Authenticator;
  /** The shared, database-backed rate limits (custom notifications use one). */
  limiter: RateLimiter;
  /** Closed when the server shuts down: long-lived connections (watchers) end with it. */
  shutdown: AbortSignal;
}
