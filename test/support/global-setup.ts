import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openPostgres } from '../../src/db/postgres.js';
import { migrate } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgTemplate: string;
    /** Where each test file records the notification templates it raised (see raised.ts). */
    raisedDir: string;
  }
}

export const PG_PREFIX = 'herald_t_';

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Finds the real PostgreSQL (HERALD_TEST_PG_URL) and prepares one migrated template database that
 * every PostgreSQL test copies; without PostgreSQL the suite runs on PGlite alone and says so.
 */
export default async function setup(project: TestProject) {
  // The raised-templates record of this run; read and removed by the summary reporter.
  const raisedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-raised-'));
  process.env.HERALD_RAISED_DIR = raisedDir;
  project.provide('raisedDir', raisedDir);
  process.once('exit', () => fs.rmSync(raisedDir, { recursive: true, force: true }));
  if (process.env.HERALD_TEST_ENGINES === 'pglite') {
    // Asked for (CI's second Node.js pass): the PostgreSQL variants are left out, on purpose.
    process.stdout.write('\n[herald tests] HERALD_TEST_ENGINES=pglite: database tests run on PGlite only.\n\n');
    project.provide('pgUrl', '');
    project.provide('pgTemplate', '');
    return;
  }
  const url = process.env.HERALD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    process.stdout.write(
      `\n[herald tests] PostgreSQL is not reachable at ${url.replace(/:[^:@/]*@/, ':***@')} (${(err as Error).message}).\n` +
        '[herald tests] The PostgreSQL variants of the database tests are SKIPPED; every database test still runs on PGlite.\n\n',
    );
    project.provide('pgUrl', '');
    project.provide('pgTemplate', '');
    return;
  }
  // Databases left by an interrupted run (named with their creation time) older than an hour go.
  const stale = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE '${PG_PREFIX}%'`);
  const now = Math.floor(Date.now() / 1000);
  for (const { datname } of stale.rows) {
    const ts = Number(datname.slice(PG_PREFIX.length).split('_')[0]);
    if (ts && now - ts > 3600) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
  }
  const template = `${PG_PREFIX}${now}_tpl_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE "${template}"`);
  const db = openPostgres({ url: withDatabase(url, template) });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  project.provide('pgUrl', url);
  project.provide('pgTemplate', template);
  process.stdout.write(`[herald tests] database tests run on PGlite and on PostgreSQL at ${new URL(url).host}\n`);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  };
}
