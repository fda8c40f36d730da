import type { Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Config } from './config.js';
import type { Logger } from '../lib/logger.js';
import type { Enqueuer } from '../notifications/enqueue.js';

/** What every route and service may use; built once per server. */
export interface AppContext {
  config: Config;
  db: Database;
  log: Logger;
  registry: Registry;
  enqueuer: Enqueuer;
  /** Closed when the server shuts down: long-lived connections (watchers) end with it. */
  shutdown: AbortSignal;
  /** Injected clock (tests); the platform's services read the time from it. */
  clock?: () => Date;
}
