import { resolveConfig, type Config } from '../../src/server/config.js';
import { silentLogger, type Logger } from '../../src/lib/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { freshDatabase, type EngineName, type TestDatabase } from './db.js';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (!over) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' ? merge(b, v as never) : v;
  }
  return out as T;
}

export function testConfig(over?: DeepPartial<Config>): Config {
  const base = resolveConfig({
    flags: {
      httpAddress: '127.0.0.1:0',
      accessUrl: 'http://test.com',
      'notifications.fetchInterval': '1s',
      'notifications.storeSyncInterval': '50ms',
      apiRateLimit: 0,
    },
  });
  return merge(base, over);
}

export interface TestServer extends RunningServer {
  database: TestDatabase;
  api: ApiHelper;
}

/** A real herald server on a fresh database, on a free loopback port. */
export async function startTestServer(
  engine: EngineName,
  opts: { config?: DeepPartial<Config>; log?: Logger; database?: TestDatabase; now?: () => Date; scheduler?: import('../../src/notifications/dispatch/scheduler.js').Scheduler } = {},
): Promise<TestServer> {
  const database = opts.database ?? (await freshDatabase(engine));
  const config = testConfig(opts.config);
  const server = await startServer({ config, log: opts.log ?? silentLogger(), db: database.db, now: opts.now, scheduler: opts.scheduler });
  return {
    ...server,
    database,
    api: new ApiHelper(server.url),
    async stop() {
      await server.stop();
      if (!opts.database) await database.drop();
    },
  };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Real HTTP calls against a test server. */
export class ApiHelper {
  constructor(
    readonly url: string,
    readonly token?: string,
  ) {}

  as(token: string | undefined): ApiHelper {
    return new ApiHelper(this.url, token);
  }

  async call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(this.url + normalise(path), {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { 'Coder-Session-Token': this.token } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get = <T = any>(p: string) => this.call<T>('GET', p);
  post = <T = any>(p: string, b?: unknown) => this.call<T>('POST', p, b);
  put = <T = any>(p: string, b?: unknown) => this.call<T>('PUT', p, b);
  patch = <T = any>(p: string, b?: unknown) => this.call<T>('PATCH', p, b);
  delete = <T = any>(p: string) => this.call<T>('DELETE', p);
}

function normalise(p: string): string {
  return p.startsWith('/api/') || p === '/healthz' || p === '/metrics' ? p : `/api/v2${p}`;
}

export const OWNER = { email: 'admin@example.com', username: 'admin', name: 'Ada Admin', password: 'Sup3r-Secret-Passw0rd!' };

/** Creates the first user (owner) and returns a client logged in as it. */
export async function setupOwner(api: ApiHelper): Promise<{ api: ApiHelper; userId: string }> {
  const first = await api.post('/users/first', OWNER);
  if (first.status !== 201) throw new Error(`first user: ${first.status} ${JSON.stringify(first.body)}`);
  const login = await api.post('/users/login', { email: OWNER.email, password: OWNER.password });
  return { api: api.as(login.body.session_token), userId: first.body.user_id };
}

let counter = 0;

/** Creates a user with the given roles (by the owner) and logs in as it. */
export async function createUser(
  owner: ApiHelper,
  roles: string[] = [],
  over: { username?: string; email?: string; name?: string } = {},
): Promise<{ api: ApiHelper; id: string; username: string; email: string }> {
  const n = ++counter;
  const username = over.username ?? `user${n}-${Math.random().toString(36).slice(2, 6)}`;
  const email = over.email ?? `${username}@example.com`;
  const password = 'An0ther-Str0ng-Passw0rd!';
  const r = await owner.post('/users', { email, username, name: over.name ?? `User ${n}`, password });
  if (r.status !== 201) throw new Error(`create user: ${r.status} ${JSON.stringify(r.body)}`);
  if (roles.length) {
    const rr = await owner.put(`/users/${r.body.id}/roles`, { roles });
    if (rr.status !== 200) throw new Error(`roles: ${rr.status} ${JSON.stringify(rr.body)}`);
  }
  const login = await owner.as(undefined).post('/users/login', { email, password });
  return { api: owner.as(login.body.session_token), id: r.body.id, username, email };
}

/** The server's notification dispatcher, to wait on its lifecycle events (Dispatcher.on/next). */
export function dispatcherOf(server: { services: Record<string, unknown> }): import('../../src/notifications/dispatch/dispatcher.js').Dispatcher {
  return (server.services.dispatcher as { instance: import('../../src/notifications/dispatch/dispatcher.js').Dispatcher }).instance;
}

/** Resolves when the dispatcher has finished the fetch that followed the next wake of `reason`. */
export function fetchAfterWake(
  d: import('../../src/notifications/dispatch/dispatcher.js').Dispatcher,
  reason: import('../../src/notifications/dispatch/dispatcher.js').WakeReason = 'notify',
): Promise<{ count: number }> {
  return new Promise((resolve, reject) => {
    const off = d.on('wake', (e) => {
      if (e.reason !== reason) return;
      off();
      d.next('fetched').then(resolve, reject);
    });
  });
}
