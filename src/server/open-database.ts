import type { Database } from '../db/database.js';
import { openPGlite } from '../db/pglite.js';
import type { Config } from './config.js';
import type { Logger } from '../lib/logger.js';

// Apart from the composition root (server.ts) so that `herald server` can open the database while
// the rest of the server's modules load: the embedded engine's start (the snapshot's unpacking,
// the WebAssembly compile) then overlaps the module loading (docs/performance.md, 24.5c).

export async function openDatabase(config: Config, log: Logger): Promise<Database> {
  // Loaded only when used: the embedded default does not pay for node-postgres at start (~60 ms).
  if (config.pgConnectionUrl) return (await import('../db/postgres.js')).openPostgres({ url: config.pgConnectionUrl, log });
  log.info({ data_dir: config.dataDir }, 'using the embedded database');
  return openPGlite(config.dataDir);
}
