import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { describe, inject } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { fromPGlite, snapshotInMemory } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';
import { migrate } from '../../src/db/migrate.js';
import { PG_PREFIX, withDatabase } from './global-setup.js';

export type EngineName = 'pglite' | 'postgres';

export interface TestDatabase {
  db: Database;
  engine: EngineName;
  /** Connection URL (PostgreSQL only), for extra servers on the same database. */
  url?: string;
  /** The engine instance (PGlite only), for a second wrapper of it. */
  pglite?: PGlite;
  drop(): Promise<void>;
}

export const pgAvailable = (): boolean => !!inject('pgUrl');

let pgliteBase: Promise<PGlite> | undefined;

/** A migrated PGlite per test worker, cloned for each test database (much faster than migrating). */
async function basePGlite(): Promise<PGlite> {
  pgliteBase ??= (async () => {
    // The build's migrated snapshot (~1.3 s of CPU against ~3.3 s for create + migrate), paid once per
    // test file since every file runs in its own process.
    const snapshot = await snapshotInMemory();
    if (snapshot) {
      await migrate(fromPGlite(snapshot)); // migrations newer than the snapshot, if any
      return snapshot;
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
    return { db, engine, pglite: clone, drop: () => db.close() };
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
