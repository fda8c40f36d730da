import { PGlite } from '@electric-sql/pglite';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, inject } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { fromPGlite, PGLITE_SNAPSHOT } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import { PG_PREFIX, withDatabase } from './global-setup.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type EngineName = 'pglite' | 'postgres';

export interface TestDatabase {
  db: Database;
  engine: EngineName;
  /** Connection URL (PostgreSQL only), for extra servers on the same database. */
  url?: string;
  drop(): Promise<void>;
}

export const pgAvailable = (): boolean => !!inject('pgUrl');

let pgliteBase: Promise<PGlite> | undefined;

/**
 * The migrated, empty database `npm run build` packs (dist/db/pglite-snapshot.tar.gz), when its
 * migrations are this tree's first ones, unchanged, and the installed PGlite wrote it: loading it skips initdb,
 * which is most of a fresh PGlite's cost (measured: ~1.3 s of CPU against ~3.3 s for create + migrate),
 * paid once per test file since every file runs in its own process.
 */
function currentSnapshot(): Blob | undefined {
  try {
    const manifest = JSON.parse(fs.readFileSync(PGLITE_SNAPSHOT.replace(/\.tar\.gz$/, '.json'), 'utf8')) as {
      pglite: string;
      migrations: { version: string; sha256: string }[];
    };
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
    const current = loadMigrations();
    const same =
      manifest.pglite === pkg.version &&
      manifest.migrations.length <= current.length &&
      manifest.migrations.every((m, i) => m.version === current[i].version && m.sha256 === createHash('sha256').update(current[i].sql).digest('hex'));
    return same ? new Blob([fs.readFileSync(PGLITE_SNAPSHOT)]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The snapshot's seed rows (default organization, system user, templates) carry the build's time;
 * a run of the migrations would have given them this run's time, so they get it (no triggers fire).
 */
async function restampSeedRows(pg: PGlite): Promise<void> {
  const r = await pg.query<{ stmt: string }>(
    `SELECT format('UPDATE %I SET %I = now();', c.table_name, c.column_name) AS stmt
     FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
     WHERE c.table_schema = 'public' AND c.column_name IN ('created_at', 'updated_at', 'applied_at') AND c.data_type LIKE 'timestamp%'`,
  );
  if (r.rows.length) await pg.exec(['BEGIN;', 'SET LOCAL session_replication_role = replica;', ...r.rows.map((x) => x.stmt), 'COMMIT;'].join('\n'));
}

/** A migrated PGlite per test worker, cloned for each test database (much faster than migrating). */
async function basePGlite(): Promise<PGlite> {
  pgliteBase ??= (async () => {
    const snapshot = currentSnapshot();
    if (snapshot) {
      const base = await PGlite.create({ loadDataDir: snapshot });
      await restampSeedRows(base);
      await migrate(fromPGlite(base)); // migrations newer than the snapshot, if any
      return base;
    }
    const base = await PGlite.create();
    await migrate(fromPGlite(base));
    return base;
  })();
  return pgliteBase;
}

/** A brand-new, migrated database; drop() closes and removes it. */
export async function freshDatabase(engine: EngineName): Promise<TestDatabase> {
  if (engine === 'pglite') {
    const clone = (await (await basePGlite()).clone()) as PGlite;
    const db = fromPGlite(clone);
    return { db, engine, drop: () => db.close() };
  }
  const url = inject('pgUrl');
  const name = `${PG_PREFIX}${Math.floor(Date.now() / 1000)}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('pgTemplate')}"`);
  } finally {
    await admin.end();
  }
  const dbUrl = withDatabase(url, name);
  const db = openPostgres({ url: dbUrl });
  return {
    db,
    engine,
    url: dbUrl,
    async drop() {
      await db.close();
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).finally(() => a.end());
    },
  };
}

/**
 * Declares the suite once per engine. The PostgreSQL copy is skipped (and reported as skipped)
 * when no PostgreSQL is reachable.
 */
export function describeEachEngine(title: string, fn: (engine: EngineName) => void): void {
  describe(`${title} [pglite]`, () => fn('pglite'));
  describe.skipIf(!pgAvailable())(`${title} [postgres]`, () => fn('postgres'));
}
