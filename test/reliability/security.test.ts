// Security: who may call what (a table over every route Fastify serves — a route missing from the
// table fails the test), sessions (hashed at rest, logout, expiry), secrets kept out of the logs,
// login/OTP brute force and user enumeration.

import { SIGNED_OUT } from '../../src/auth/service.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { OWNER, createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { SOAK, figures, primaryEngine, scale, waitUntil } from './helpers.js';

const engine = primaryEngine();
const TABLE_FILE = fileURLToPath(new URL('./authz-table.json', import.meta.url));
export const ACTORS = ['anonymous', 'member', 'template-admin', 'user-admin', 'owner', 'suspended', 'expired'] as const;
type ActorName = (typeof ACTORS)[number];

/** Every METHOD + path Fastify serves, from its route tree (HEAD and the dashboard's catch-all aside). */
export function routesOf(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line.trimEnd());
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    const path = stack.join('');
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
      if (method === 'HEAD') continue;
      out.push(`${method} ${path}`);
    }
  }
  return out.filter((r) => r.includes(' /api/') || r.endsWith(' /healthz') || r.endsWith(' /metrics'));
}

/** The user routes the table also runs against an owner and the system user ("[target: …]" entries). */
const TARGETED = /^(GET|DELETE) \/api\/v2\/users\/:user$|^PUT \/api\/v2\/users\/:user\/(status\/suspend|status\/activate|roles)$|^POST \/api\/v2\/users\/:user\/keys\/tokens$/;
const TARGET_BODIES: Record<string, unknown> = {
  '/api/v2/users/:user/roles': { roles: ['template-admin'] },
  '/api/v2/users/:user/keys/tokens': { token_name: 'authz' },
};

const SECRETS = {
  smtpPassword: 'Smtp-Pa55word-never-logged',
  webhookSecret: `whsec_${Buffer.from('webhook-signing-key-never-logged!').toString('base64')}`,
};

describe(`security [${engine}]`, () => {
  let server: TestServer;
  let smtp: SmtpSink;
  let hook: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    smtp = await startSmtpSink({ authMethods: ['PLAIN'], users: { herald: SECRETS.smtpPassword } });
    hook = await startHttpSink();
    const destination = new Writable({
      write(chunk, _enc, cb) {
        logLines.push(String(chunk));
        cb();
      },
    });
    server = await startTestServer(engine, {
      log: createLogger({ level: 'debug', destination }),
      config: {
        email: { from: 'Herald <noreply@example.com>', smarthost: smtp.smarthost, hello: 'localhost', auth: { username: 'herald', password: SECRETS.smtpPassword } },
        notifications: { method: 'smtp', webhook: { endpoint: `${hook.url}/hook`, secret: SECRETS.webhookSecret }, fetchInterval: 200 },
        auth: { loginRateLimit: 30 },
      },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
    await hook?.close();
  });

  it('authorization table: every route × every kind of caller answers as the table says; a route without an entry fails', { timeout: 60_000 }, async () => {
    const routes = routesOf(server.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).toBeGreaterThan(40);
    const actors = {} as Record<ActorName, ApiHelper>;
    actors.anonymous = owner.as(undefined);
    // A session of its own: the table ends with logging it out.
    const ownerLogin = await server.api.post('/users/login', { email: OWNER.email, password: OWNER.password });
    actors.owner = server.api.as(ownerLogin.body.session_token);
    actors.member = (await createUser(owner, [])).api;
    actors['template-admin'] = (await createUser(owner, ['template-admin'])).api;
    actors['user-admin'] = (await createUser(owner, ['user-admin'])).api;
    const suspended = await createUser(owner, []);
    expect((await owner.put(`/users/${suspended.id}/status/suspend`)).status).toBe(200);
    actors.suspended = suspended.api;
    const expired = await createUser(owner, []);
    await server.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [expired.id]);
    actors.expired = expired.api;

    // The user routes once more against an owner and against the prebuilds system user, with a
    // body that would change something: only owners act on owners, nobody on the system user.
    const variants = routes
      .filter((r) => TARGETED.test(r))
      .flatMap((r) => (['owner', 'prebuilds'] as const).map((t) => `${r} [target: ${t}]`));
    // Logging out ends the owner's session: last.
    const ordered = [...routes.filter((r) => !r.endsWith('/users/logout')), ...variants, ...routes.filter((r) => r.endsWith('/users/logout'))];
    const actual: Record<string, Record<ActorName, number>> = {};
    for (const entry of ordered) {
      const [route, variant] = entry.split(' [target: ');
      const [method, pattern] = route.split(' ');
      // A fresh, unrelated user for {user} (so that suspending or deleting it affects nothing
      // else); ids that exist nowhere for every other parameter.
      const target = !pattern.includes(':user')
        ? ''
        : variant === 'prebuilds]'
          ? 'prebuilds'
          : (await createUser(owner, variant === 'owner]' ? ['owner'] : [])).id;
      const path = pattern
        .replace(':user', target)
        .replace(/:(id|workspace|workspacebuild|workspaceagent|templateversion|job|notification_template)\b/g, '00000000-0000-4000-8000-000000000000')
        .replace(/:(buildnumber)\b/g, '1')
        .replace(/:(versionname)\b/g, 'nonexistent')
        .replace(/:(organization)\b/g, 'coder')
        .replace(/:(name)\b/g, 'nonexistent');
      actual[entry] = {} as Record<ActorName, number>;
      for (const actor of ACTORS) {
        if (pattern.endsWith('/watch')) {
          const r = await fetch(server.url + path, { headers: actors[actor].token ? { 'Coder-Session-Token': actors[actor].token! } : {} });
          actual[entry][actor] = r.status; // no Upgrade header: what matters is whether auth lets it through
          continue;
        }
        const body = ['GET', 'DELETE'].includes(method) ? undefined : variant ? (TARGET_BODIES[pattern] ?? {}) : {};
        const r = await actors[actor].call(method, path, body);
        actual[entry][actor] = r.status;
      }
    }

    if (process.env.HERALD_AUTHZ_WRITE === '1') {
      const lines = Object.entries(actual).map(([r, s]) => `  ${JSON.stringify(r)}: ${JSON.stringify(s)}`);
      writeFileSync(TABLE_FILE, `{\n${lines.join(',\n')}\n}\n`);
    }
    const table = JSON.parse(readFileSync(TABLE_FILE, 'utf8')) as Record<string, Record<ActorName, number>>;
    const missing = [...routes, ...variants].filter((r) => !table[r]);
    expect(missing, 'routes without an entry in test/reliability/authz-table.json').toEqual([]);
    const stale = Object.keys(table).filter((r) => !routes.includes(r) && !variants.includes(r));
    expect(stale, 'entries for routes that no longer exist').toEqual([]);
    expect(actual).toEqual(table);

    // Whatever the table says, these always hold.
    const PUBLIC = /^(GET \/healthz|GET \/metrics|GET \/api\/v2\/(openapi\.json|buildinfo|users\/first|users\/authmethods)|POST \/api\/v2\/users\/(first|login|otp\/request|otp\/change-password|validate-password))$|provisionerdaemons|workspaceagents\/me/;
    for (const [route, s] of Object.entries(actual)) {
      if (PUBLIC.test(route.split(' [')[0])) continue;
      for (const who of ['anonymous', 'suspended', 'expired'] as const) expect(s[who], `${who} on ${route}`).toBe(401);
    }
    // Provisioner and agent routes take their own credentials: no user session gets anything
    // from them (some validate the body before the credential, hence 400 or 401).
    for (const [route, s] of Object.entries(actual)) {
      if (/provisionerdaemons|workspaceagents\/me/.test(route)) for (const who of ACTORS) expect([400, 401], `${who} on ${route}`).toContain(s[who]);
    }
    // Only the roles that hold a permission get a 2xx from the routes guarded by it.
    const ADMIN_ONLY = /GET \/api\/v2\/(deployment\/config|notifications\/messages|organizations\/:organization\/provisionerkeys)$|POST \/api\/v2\/notifications\/test$/;
    for (const [route, s] of Object.entries(actual)) {
      if (!ADMIN_ONLY.test(route)) continue;
      for (const who of ['member', 'template-admin', 'user-admin'] as const) expect(s[who], `${who} on ${route}`).toBe(403);
      expect(s.owner).toBeLessThan(300);
    }
    // Nobody but an owner changes anything about an owner; nobody changes the system user.
    for (const [route, s] of Object.entries(actual)) {
      if (route.endsWith('[target: owner]') && !route.startsWith('GET ')) {
        for (const who of ['member', 'template-admin', 'user-admin'] as const) expect(s[who], `${who} on ${route}`).toBe(403);
      }
      if (route.endsWith('[target: prebuilds]') && !route.startsWith('GET ')) for (const who of ACTORS) expect(s[who], `${who} on ${route}`).toBeGreaterThanOrEqual(400);
    }
    figures(`authz table [${engine}]`, { routes: routes.length, actors: ACTORS.length, requests: routes.length * ACTORS.length });
  });

  it('session tokens are stored hashed, end at logout and at expiry', async () => {
    // Logging in through a replica without the login limit: the tests above spend the shared one.
    const replica = await startTestServer(engine, { database: server.database, config: { auth: { loginRateLimit: 0 } } });
    onTestFinished(() => replica.stop());
    const login = await replica.api.post('/users/login', { email: OWNER.email, password: OWNER.password });
    expect(login.status, JSON.stringify(login.body)).toBe(201);
    const token: string = login.body.session_token;
    const [id, secret] = token.split('-');
    const row = (await server.db.query<Record<string, unknown>>(`SELECT * FROM api_keys WHERE id = $1`, [id])).rows[0];
    expect(row).toBeDefined();
    const stored = JSON.stringify(row, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret).toString('hex'));
    expect(stored).not.toContain(token);
    const api = server.api.as(token);
    expect((await api.get('/users/me')).status).toBe(200);
    expect((await api.post('/users/logout')).status).toBe(200);
    expect((await api.get('/users/me')).status).toBe(401);
    // An API token past its expiry is refused with a clear reason.
    const t = await owner.post(`/users/me/keys/tokens`, { token_name: 'expiring', lifetime: 3600 * 1e9 });
    expect(t.status).toBe(201);
    const tokenApi = server.api.as(t.body.key);
    expect((await tokenApi.get('/users/me')).status).toBe(200);
    await server.db.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [t.body.key.split('-')[0]]);
    const expiredCall = await tokenApi.get('/users/me');
    expect(expiredCall.status).toBe(401);
    expect(expiredCall.body.message).toBe(SIGNED_OUT);
    expect(expiredCall.body.detail).toBe('API key expired.');
  });

  it('secrets never reach the log: SMTP password, webhook secret, session/API tokens, passwords, passcodes', { timeout: 30_000 }, async () => {
    const member = await createUser(owner, []);
    const token = (await owner.post(`/users/me/keys/tokens`, { token_name: 'log-check' })).body.key as string;
    expect(token).toBeTruthy();
    // E-mail (with SMTP AUTH) for the passcode; the signed webhook for the test notification.
    expect((await owner.put(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`, { method: 'webhook' })).status).toBe(200);
    expect((await owner.post('/notifications/test')).status).toBe(204);
    expect((await server.api.post('/users/otp/request', { email: member.email })).status).toBe(204);
    const mail = await waitUntil(async () => smtp.messages.find((m) => m.to.includes(member.email) && /Reset your password/i.test(m.subject)), 10_000, 'the passcode e-mail').catch(async (err) => {
      const rows = await server.db.query(`SELECT method, status, status_reason, payload->>'user_email' AS e, notification_template_id FROM notification_messages`);
      throw new Error(`${(err as Error).message}: ${JSON.stringify(smtp.messages.map((m) => [m.to, m.subject]))} ${JSON.stringify(rows.rows)}`);
    });
    const passcode = /\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/.exec(mail.text)?.[1];
    expect(passcode).toBeTruthy();
    await hook.waitFor(1, 10_000);
    expect(smtp.auths.some((a) => a.ok)).toBe(true);
    // Failed logins and a bad token are logged about too (if at all) without the secret.
    await server.api.post('/users/login', { email: member.email, password: 'Wrong-Passw0rd-in-log?' });
    await server.api.as('badid-badsecretvalue123').get('/users/me');
    const log = logLines.join('');
    expect(log.length).toBeGreaterThan(0);
    const webhookKey = SECRETS.webhookSecret.slice('whsec_'.length);
    for (const [what, secret] of Object.entries({
      'SMTP password': SECRETS.smtpPassword,
      'webhook secret': webhookKey,
      'owner session token': owner.token!,
      'owner session secret': owner.token!.split('-')[1],
      'member session token': member.api.token!,
      'API token': token,
      'owner password': OWNER.password,
      'member password': 'An0ther-Str0ng-Passw0rd!',
      'wrong password': 'Wrong-Passw0rd-in-log?',
      'bad token secret': 'badsecretvalue123',
      passcode: passcode!,
    })) {
      expect(log.includes(secret), `${what} found in the log`).toBe(false);
    }
    figures(`secrets-in-logs [${engine}]`, { log_lines: logLines.length, secrets_checked: 11, found: 0 });
  });

  it('no user enumeration: login and OTP request answer known and unknown e-mails alike', { timeout: scale(30_000, 600_000) }, async () => {
    const known = await createUser(owner, []);
    const unknown = `nobody-${Date.now()}@example.com`;
    // A replica of its own on the same database, without the login limit: the limit is shared by
    // every replica and the tests above have spent it, and this one is about the answers, not the limit.
    // E-mail configured as on the main server (without it, both answers are the same 503).
    const replica = await startTestServer(engine, { database: server.database, config: { auth: { loginRateLimit: 0 }, email: { from: 'Herald <noreply@example.com>', smarthost: smtp.smarthost, hello: 'localhost' } } });
    onTestFinished(() => replica.stop());
    const a = await replica.api.post('/users/login', { email: known.email, password: 'Wrong-Passw0rd!!' });
    const b = await replica.api.post('/users/login', { email: unknown, password: 'Wrong-Passw0rd!!' });
    expect([a.status, a.body]).toEqual([b.status, b.body]);
    expect(a.status).toBe(401);
    const c = await replica.api.post('/users/otp/request', { email: known.email });
    const d = await replica.api.post('/users/otp/request', { email: unknown });
    expect([c.status, c.body]).toEqual([d.status, d.body]);
    expect(c.status).toBe(204);
    if (SOAK) {
      // Timing: the distributions for known and unknown addresses, measured interleaved (known,
      // unknown, known, …) so that warm-up and background work fall on both sides alike.
      const measurePair = async (a: () => Promise<unknown>, b: () => Promise<unknown>, n: number) => {
        const xs: number[][] = [[], []];
        for (let i = 0; i < 2 * n; i++) {
          const t = performance.now();
          await (i % 2 ? b : a)();
          xs[i % 2].push(performance.now() - t);
        }
        return xs.map((v) => {
          v.sort((x, y) => x - y);
          const q = (p: number) => Number(v[Math.min(v.length - 1, Math.floor(p * v.length))].toFixed(2));
          return { n, p10: q(0.1), p50: q(0.5), p90: q(0.9), p99: q(0.99) };
        });
      };
      const limited = await startTestServer(engine, { database: server.database, config: { auth: { loginRateLimit: 0 } } });
      try {
        const api = limited.api;
        const [loginKnown, loginUnknown] = await measurePair(
          () => api.post('/users/login', { email: known.email, password: 'Wrong-Passw0rd!!' }),
          () => api.post('/users/login', { email: unknown, password: 'Wrong-Passw0rd!!' }),
          200,
        );
        const [otpKnown, otpUnknown] = await measurePair(
          () => api.post('/users/otp/request', { email: known.email }),
          () => api.post('/users/otp/request', { email: unknown }),
          200,
        );
        figures(`enumeration timing [${engine}]`, {
          login_known_ms: loginKnown,
          login_unknown_ms: loginUnknown,
          otp_known_ms: otpKnown,
          otp_unknown_ms: otpUnknown,
        });
      } finally {
        await limited.stop();
      }
    }
  });

  it('login and OTP brute force run into the rate limit', async () => {
    let loginAt = 0;
    for (let i = 1; i <= 40 && !loginAt; i++) {
      const r = await server.api.post('/users/login', { email: OWNER.email, password: `guess-${i}` });
      if (r.status === 429) {
        loginAt = i;
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      } else expect(r.status).toBe(401);
    }
    expect(loginAt).toBeGreaterThan(0);
    // The right password does not get through either while limited.
    expect((await server.api.post('/users/login', { email: OWNER.email, password: OWNER.password })).status).toBe(429);
    let otpAt = 0;
    for (let i = 1; i <= 40 && !otpAt; i++) {
      const r = await server.api.post('/users/otp/change-password', { email: OWNER.email, one_time_passcode: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, password: 'N3w-Str0ng-Passw0rd!' });
      if (r.status === 429) otpAt = i;
      else expect(r.status).toBeGreaterThanOrEqual(400);
    }
    expect(otpAt).toBeGreaterThan(0);
    figures(`brute-force [${engine}]`, { login_limited_after: loginAt, otp_limited_after: otpAt });
  });
});
