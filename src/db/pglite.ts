// Type-only: the engine (~700 MB once started, ~60 MB of code) loads only when an embedded database opens.
import type { PGlite } from '@electric-sql/pglite';
import fs from 'node:fs';
import path from 'node:path';
import type { Database, Queryable, QueryResult, Session } from './database.js';

type PGliteLike = Pick<PGlite, 'query' | 'exec' | 'transaction' | 'listen' | 'close' | 'refreshArrayTypes'>;

function wrap(c: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
      const r = await c.query<R>(sql, params);
      // PGlite reports affectedRows 0 for SELECT: count returned rows too, as pg does.
      return { rows: r.rows, rowCount: Math.max(r.affectedRows ?? 0, r.rows.length) };
    },
    async exec(sql: string): Promise<void> {
      await c.exec(sql);
    },
  };
}

/**
 * PGlite does not lock its data directory, and two processes writing one directory corrupt it:
 * hold a pid file for as long as the database is open.
 */
function takeDirectoryLock(dir: string): () => void {
  const lockPath = path.join(dir, 'herald.lock');
  fs.mkdirSync(dir, { recursive: true });
  try {
    const holder = Number(fs.readFileSync(lockPath, 'utf8'));
    if (holder && holder !== process.pid && processAlive(holder)) {
      throw new Error(
        `the embedded database in ${dir} is in use by process ${holder}; stop it or choose another --data-dir`,
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.writeFileSync(lockPath, String(process.pid));
  return () => fs.rmSync(lockPath, { force: true });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Wraps an open PGlite instance (a data directory, memory, or a test clone). */
export function fromPGlite(pg: PGliteLike, onClose?: () => void): Database {
  const base = wrap(pg);
  const locks = new Map<number, Promise<unknown>>();
  return {
    engine: 'pglite',
    query: base.query,
    tx: <T>(fn: (q: Queryable) => Promise<T>) => pg.transaction((t) => fn(wrap(t))),
    exec: base.exec,
    listen: (channel, fn) => pg.listen(channel, fn).then((stop) => async () => stop()),
    // One process owns the directory, so an in-process queue per key is the whole lock.
    async withAdvisoryLock<T>(key: number, fn: (q: Queryable) => Promise<T>, o?: { try?: boolean }) {
      const held = locks.get(key);
      if (held && o?.try) return undefined;
      const run = (held ?? Promise.resolve()).catch(() => undefined).then(() => fn(base));
      locks.set(key, run);
      try {
        return await run;
      } finally {
        if (locks.get(key) === run) locks.delete(key);
      }
    },
    // One session for the whole process: its advisory locks end when the database closes.
    async session(): Promise<Session> {
      return { ...base, alive: true, onLost() {}, async close() {} };
    },
    refreshTypes: () => pg.refreshArrayTypes(),
    async ping() {
      return true;
    },
    async close(): Promise<void> {
      await pg.close();
      onClose?.();
    },
  };
}

export async function openPGlite(dataDir: string): Promise<Database> {
  const dir = path.resolve(dataDir, 'db');
  const unlock = takeDirectoryLock(path.resolve(dataDir));
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const pg = await PGlite.create(dir);
    return fromPGlite(pg, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}
