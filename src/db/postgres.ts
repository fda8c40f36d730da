import pg from 'pg';
import { notify, type Database, type Listener, type Queryable, type QueryOptions, type QueryResult, type Session } from './database.js';
import type { Logger } from '../lib/logger.js';

// int8 (counts, sums) as JS numbers: Herald's counters stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

function wrap(c: pg.PoolClient | pg.Pool | pg.Client): Queryable {
  return {
    async query<R>(sql: string, params?: unknown[], opts?: QueryOptions): Promise<QueryResult<R>> {
      const r = opts?.name
        ? await c.query({ name: opts.name, text: sql, values: params as unknown[] })
        : await c.query(sql, params as unknown[]);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async exec(sql: string): Promise<void> {
      await c.query(sql);
    },
  };
}

/** A LISTEN connection that reconnects and re-subscribes after the server drops it. */
class Subscriber {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<Listener>>();
  private connecting: Promise<void> | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** LISTEN/UNLISTEN commands run one at a time on the shared connection. */
  private commands: Promise<unknown> = Promise.resolve();
  onReconnect: (() => void) | undefined;

  constructor(
    private readonly url: string,
    private readonly log?: Logger,
  ) {}

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      for (const fn of this.handlers.get(n.channel) ?? []) {
        try {
          fn(n.payload ?? '');
        } catch (err) {
          this.log?.error({ err, channel: n.channel }, 'pubsub handler failed');
        }
      }
    });
    client.on('error', (err) => {
      this.log?.warn({ err: err.message }, 'pubsub connection lost; reconnecting');
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    await client.connect();
    for (const ch of this.handlers.keys()) await client.query(`LISTEN "${ch}"`);
    this.client = client;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('end');
    client.end().catch(() => undefined);
    this.scheduleReconnect(100);
  }

  private scheduleReconnect(delay: number): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensure()
        .then(() => this.onReconnect?.())
        .catch(() => this.scheduleReconnect(Math.min(delay * 2, 5000)));
    }, delay);
    this.retryTimer.unref();
  }

  private ensure(): Promise<void> {
    if (this.client) return Promise.resolve();
    if (!this.connecting) {
      this.connecting = this.connect().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  async listen(channel: string, fn: Listener): Promise<() => Promise<void>> {
    if (!/^[a-z0-9_]+$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
    let set = this.handlers.get(channel);
    const first = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(fn);
    try {
      await this.ensure();
      if (first) await this.command(`LISTEN "${channel}"`);
    } catch (err) {
      this.log?.warn({ err: (err as Error).message }, 'pubsub connect failed; will retry');
      this.scheduleReconnect(200);
    }
    return async () => {
      set.delete(fn);
      if (set.size === 0 && this.handlers.get(channel) === set) {
        this.handlers.delete(channel);
        await this.command(`UNLISTEN "${channel}"`).catch(() => undefined);
      }
    };
  }

  private command(sql: string): Promise<unknown> {
    const run = this.commands.catch(() => undefined).then(() => this.client?.query(sql));
    this.commands = run;
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = undefined;
    if (c) {
      c.removeAllListeners('end');
      await c.end().catch(() => undefined);
    }
  }
}

export interface PostgresOptions {
  url: string;
  maxConnections?: number;
  log?: Logger;
}

export function openPostgres(opts: PostgresOptions): Database & { subscriber: Subscriber } {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
  });
  // An idle client that loses its server must not crash the process.
  pool.on('error', (err) => opts.log?.warn({ err: err.message }, 'idle database connection lost'));
  // Nor one that loses it while checked out (inside tx() or withAdvisoryLock() between two
  // queries): without a listener pg re-throws the error and kills the process. The pending query
  // fails, and the pool discards the broken client when it is released.
  pool.on('connect', (client) => client.on('error', (err) => opts.log?.warn({ err: err.message }, 'database connection lost')));
  const subscriber = new Subscriber(opts.url, opts.log);
  const base = wrap(pool);

  return {
    engine: 'postgres',
    subscriber,
    query: base.query,
    async tx<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    exec: base.exec,
    listen: (channel, fn) => subscriber.listen(channel, fn),
    signal: (channel, payload) => notify(base, channel, payload),
    async withAdvisoryLock<T>(key: number, fn: (q: Queryable) => Promise<T>, o?: { try?: boolean }) {
      const client = await pool.connect();
      try {
        if (o?.try) {
          const r = await client.query('SELECT pg_try_advisory_lock($1) AS ok', [key]);
          if (!r.rows[0].ok) return undefined;
        } else {
          await client.query('SELECT pg_advisory_lock($1)', [key]);
        }
        try {
          return await fn(wrap(client));
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
        }
      } finally {
        client.release();
      }
    },
    async session(): Promise<Session> {
      const client = new pg.Client({ connectionString: opts.url, connectionTimeoutMillis: 5000 });
      let alive = true;
      let closing = false;
      const onLost: (() => void)[] = [];
      const lost = (err?: Error) => {
        if (!alive) return;
        alive = false;
        if (closing) return;
        opts.log?.warn({ err: err?.message ?? 'connection ended' }, 'database session lost');
        for (const fn of onLost.splice(0)) fn();
      };
      client.on('error', lost);
      client.on('end', () => lost());
      await client.connect();
      const q = wrap(client);
      return {
        ...q,
        get alive() {
          return alive;
        },
        onLost: (fn) => void onLost.push(fn),
        async close() {
          closing = true;
          alive = false;
          await client.end().catch(() => undefined);
        },
      };
    },
    async ping(): Promise<boolean> {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close(): Promise<void> {
      await subscriber.close();
      await pool.end();
    },
  };
}
