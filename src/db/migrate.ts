import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.js';

// src/db and dist/db both sit two levels below the package root; the SQL ships in src/.
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/db/migrations');

/** Advisory lock key for schema migrations, shared by every replica. */
import { MIGRATION_LOCK } from './locks.js';

export interface Migration {
  version: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: f.replace(/\.sql$/, ''), sql: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * Applies pending migrations, each in its own transaction, under an advisory lock so replicas
 * starting together against one PostgreSQL apply each exactly once. Returns the versions applied.
 */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<string[]> {
  return (
    (await db.withAdvisoryLock(MIGRATION_LOCK, async (q) => {
      await q.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version text PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      const done = new Set(
        (await q.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await db.tx(async (t) => {
          await t.exec(m.sql);
          await t.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
        });
        applied.push(m.version);
      }
      if (applied.length) await db.refreshTypes?.();
      return applied;
    })) ?? []
  );
}
