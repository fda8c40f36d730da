// Shared pieces of the reliability and security suites.
//
// Every suite runs twice over its life: a fast, bounded version in `npm test`, and a soak version
// under `npm run test:soak` (HERALD_SOAK=1) that scales the counts up and prints its figures.

import pg from 'pg';
import { inject } from 'vitest';
import { PG_PREFIX, withDatabase } from '../support/global-setup.js';
import { pgAvailable, type EngineName } from '../support/db.js';

export const SOAK = process.env.HERALD_SOAK === '1';

/** The fast value in `npm test`, the soak value under `npm run test:soak`. */
export const scale = <T>(fast: T, soak: T): T => (SOAK ? soak : fast);

import { sleep } from '../support/wait.js';

export { sleep };

/** Polls `fn` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitUntil<T>(fn: () => Promise<T | undefined | false | null>, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

/** Prints a suite's figures in one greppable line (docs/reliability.md quotes them). */
export function figures(suite: string, values: Record<string, unknown>): void {
  process.stdout.write(`[reliability] ${suite}${SOAK ? ' (soak)' : ''}: ${JSON.stringify(values)}\n`);
}

export interface PgTestDatabase {
  name: string;
  url: string;
  /** A client on the `postgres` maintenance database (survives terminating the test database's backends). */
  admin: pg.Client;
  /** A short query on the test database through a fresh connection. */
  query<R extends pg.QueryResultRow = any>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Terminates every backend connected to the test database; resolves how many. */
  terminateAll(): Promise<number>;
  /** Refuse (false) or allow (true) new connections to the test database. */
  allowConnections(allow: boolean): Promise<void>;
  drop(): Promise<void>;
}

/** A migrated PostgreSQL database of its own (copied from the suite's template). */
export async function pgDatabase(tag: string): Promise<PgTestDatabase> {
  const base = inject('pgUrl');
  const name = `${PG_PREFIX}${Math.floor(Date.now() / 1000)}_${tag}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  admin.on('error', () => undefined);
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${inject('pgTemplate')}"`);
  const url = withDatabase(base, name);
  const pool = new pg.Pool({ connectionString: url, max: 2, idleTimeoutMillis: 200 });
  pool.on('error', () => undefined);
  return {
    name,
    url,
    admin,
    async query(sql, params) {
      return (await pool.query(sql, params as unknown[])).rows;
    },
    async terminateAll() {
      const r = await admin.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      return r.rows[0].n as number;
    },
    async allowConnections(allow) {
      await admin.query(`ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`);
    },
    async drop() {
      await pool.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}

export interface MessageTally {
  total: number;
  byStatus: Record<string, number>;
}

/** Counts the messages of a database by status. */
export async function tallyMessages(rows: Array<{ status: string; n: number }>): Promise<MessageTally> {
  const byStatus: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    byStatus[r.status] = r.n;
    total += r.n;
  }
  return { total, byStatus };
}

export const FINAL_STATUSES = ['sent', 'permanent_failure', 'inhibited'];

/** Pauses or resumes the notifier of every replica (as PUT /notifications/settings does) and wakes them. */
export async function setPaused(db: { query: (sql: string, params?: unknown[]) => Promise<unknown> }, paused: boolean): Promise<void> {
  await db.query(
    `INSERT INTO site_configs (key, value) VALUES ('notifications_settings', $1)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [JSON.stringify({ notifier_paused: paused })],
  );
  await db.query(`SELECT pg_notify('herald_notifications_enqueued', '')`);
}

/**
 * The engine for suites whose subject is not the database (receiver faults, bad input, access
 * control): PostgreSQL when reachable, PGlite otherwise. Running them twice would double their
 * time (a PGlite base costs ~25 s per test file on this machine) without testing anything new;
 * the database-facing suites above run on PostgreSQL, and the rest of the tree covers PGlite.
 */
export function primaryEngine(): EngineName {
  return pgAvailable() ? 'postgres' : 'pglite';
}

/**
 * `herald server` flags for a webhook replica on `pgUrl` delivering to `hookUrl`, plus the suite's
 * own notification settings (flag name without `--notifications-` → value).
 */
export function webhookReplicaArgs(pgUrl: string, hookUrl: string, notifications: Record<string, string>): string[] {
  return [
    '--pg-connection-url', pgUrl,
    '--access-url', 'http://test.com',
    '--notifications-method', 'webhook',
    '--notifications-webhook-endpoint', hookUrl,
    ...Object.entries(notifications).flatMap(([k, v]) => [`--notifications-${k}`, v]),
  ];
}
