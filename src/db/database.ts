// One data-access interface over a real PostgreSQL pool and the embedded PGlite engine.

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * Prepares the statement once per connection under this name and reuses its plan (hot paths:
   * enqueue, lease, result writes). The name must always go with the same SQL text.
   */
  name?: string;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<R>>;
  /** Runs a multi-statement SQL script without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export type Engine = 'postgres' | 'pglite';

export type Listener = (payload: string) => void;

export interface Database extends Queryable {
  readonly engine: Engine;
  /** Runs fn in one transaction: committed when it resolves, rolled back when it throws. */
  tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; the returned function stops listening. */
  listen(channel: string, fn: Listener): Promise<() => Promise<void>>;
  /**
   * NOTIFY outside any transaction, for every listener of the channel. The embedded engine has one
   * process (its data directory is locked), so it calls this process's listeners without a statement.
   */
  signal(channel: string, payload: string): Promise<void>;
  /**
   * Runs fn while holding a session-level advisory lock, or returns undefined at once when
   * another session holds it (try) — used for singletons across replicas.
   */
  withAdvisoryLock<T>(key: number, fn: (q: Queryable) => Promise<T>, opts?: { try?: boolean }): Promise<T | undefined>;
  /**
   * A connection of its own, outside the pool, so that session-level state (advisory locks) lives
   * exactly as long as it does. The embedded engine has a single session: it returns that.
   */
  session(): Promise<Session>;
  /** Re-reads type information after DDL (PGlite serialises arrays of enums only for types it knows). */
  refreshTypes?(): Promise<void>;
  /** Resolves false while the database cannot be reached. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface Session extends Queryable {
  /** False once the connection is gone, and its session-level locks with it. */
  readonly alive: boolean;
  /** Called once when the connection is lost (not on close()). */
  onLost(fn: () => void): void;
  close(): Promise<void>;
}

/** NOTIFY through the given connection, so a notification sent inside a transaction goes out on commit. */
export async function notify(q: Queryable, channel: string, payload: string): Promise<void> {
  await q.query('SELECT pg_notify($1, $2)', [channel, payload]);
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e?.code !== '23505') return false;
  if (!constraint) return true;
  return e.constraint === constraint || (e.message ?? '').includes(constraint);
}
