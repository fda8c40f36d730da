// Rate limits that mean what they say: keyed on the client address resolved behind trusted
// proxies only, on the authenticated user once the token is verified, and per account for
// password-reset e-mails.

import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, OWNER, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE } from '../../src/notifications/templates/catalogue.js';

const PROXY = { trustedHeaders: 'X-Forwarded-For,X-Real-IP', trustedOrigins: '127.0.0.1/32' };
const from = (address: string) => ({ 'x-forwarded-for': address });
const badLogin = (api: ApiHelper, headers: Record<string, string>) =>
  api.call('POST', '/users/login', { email: OWNER.email, password: 'Wr0ng-Passw0rd-guess' }, headers);

describeEachEngine('rate limits and the client address', (engine) => {
  let proxied: TestServer; // behind a trusted proxy on 127.0.0.1, 5 logins a minute
  let direct: TestServer; // no proxy options: headers are ignored
  let untrusted: TestServer; // trusts a proxy network the test does not come from
  let api: TestServer; // 5 API requests a minute

  beforeAll(async () => {
    [proxied, direct, untrusted, api] = await Promise.all([
      // E-mail to a port nothing listens on: the passcode messages are enqueued, which is what counts here.
      startTestServer(engine, { config: { proxy: PROXY, auth: { loginRateLimit: 5 }, email: { from: 'herald@example.com', smarthost: '127.0.0.1:9', hello: 'localhost' } } }),
      startTestServer(engine, { config: { auth: { loginRateLimit: 5 } } }),
      startTestServer(engine, { config: { proxy: { trustedHeaders: 'X-Forwarded-For', trustedOrigins: '10.0.0.0/8' }, auth: { loginRateLimit: 5 } } }),
      startTestServer(engine, { config: { apiRateLimit: 5, auth: { loginRateLimit: 1000 }, proxy: PROXY } }),
    ]);
    for (const s of [proxied, direct, untrusted]) await setupOwner(s.api);
  });
  afterAll(async () => Promise.all([proxied, direct, untrusted, api].map((s) => s?.stop())));

  it('behind a trusted proxy, bad logins lock the forwarded address only; other clients still log in', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await badLogin(proxied.api, from('198.51.100.7'))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    const locked = await proxied.api.call('POST', '/users/login', { email: OWNER.email, password: OWNER.password }, from('198.51.100.7'));
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client behind the same proxy, by either trusted header, and through a second proxy hop.
    for (const headers of [from('203.0.113.9'), { 'x-real-ip': '203.0.113.10' }, from('203.0.113.11, 127.0.0.1')]) {
      const ok = await proxied.api.call('POST', '/users/login', { email: OWNER.email, password: OWNER.password }, headers);
      expect(ok.status, JSON.stringify(headers)).toBe(201);
    }
    // A client cannot escape its bucket by claiming an address left of the proxy's entry.
    expect((await badLogin(proxied.api, from('192.0.2.1, 198.51.100.7'))).status).toBe(429);
  });

  it('without the proxy options, or from a proxy that is not trusted, the headers are ignored', async () => {
    for (const server of [direct, untrusted]) {
      // setupOwner's login was the first of 127.0.0.1's five.
      for (let i = 0; i < 4; i++) expect((await badLogin(server.api, from(`198.51.100.${i + 1}`))).status).toBe(401);
      // Every "client" was 127.0.0.1 all along: the limit holds whatever the header says.
      const r = await server.api.call('POST', '/users/login', { email: OWNER.email, password: OWNER.password }, from('203.0.113.50'));
      expect(r.status).toBe(429);
    }
  });

  it('the API limit keys on the verified user: junk tokens count against the address, a known token id spends nobody else\'s bucket', async () => {
    const owner = (await setupOwner(api.api.as(undefined))).api;
    // setupOwner spent 2 of 127.0.0.1's 5 anonymous requests; the owner's own bucket is untouched.
    const victimId = owner.token!.split('-')[0];
    const attacker = from('198.51.100.66');
    const junk: number[] = [];
    for (let i = 0; i < 7; i++) {
      // Every request a different junk token, and some with the victim's token id and a wrong secret.
      const token = i % 2 ? `${victimId}-${'x'.repeat(21)}${i}` : `junk${i}-${Math.random().toString(36).slice(2)}`;
      junk.push((await api.api.call('GET', '/users/me', undefined, { ...attacker, 'coder-session-token': token })).status);
    }
    expect(junk).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // The victim is unaffected: their requests count against their own user.
    for (let i = 0; i < 5; i++) expect((await owner.get('/users/me')).status).toBe(200);
    const over = await owner.get('/users/me');
    expect(over.status).toBe(429);
    // ... and only against the user: the same address, anonymously, still has its own bucket.
    expect((await api.api.call('GET', '/users/first', undefined, from('198.51.100.67'))).status).toBe(200);
    const rows = await api.database.db.query<{ rule: string; key: string; hits: number }>(
      `SELECT rule, key, hits FROM rate_limit_windows WHERE rule = 'api' AND (key LIKE 'user:%' OR key = 'address:198.51.100.66')`,
    );
    expect(rows.rows.find((r) => r.key === 'address:198.51.100.66')?.hits).toBe(7);
    expect(rows.rows.filter((r) => r.key.startsWith('user:')).map((r) => r.hits)).toEqual([6]);
  });

  it('password-reset e-mails are capped per account, whatever addresses ask', async () => {
    const login = await proxied.api.call('POST', '/users/login', { email: OWNER.email, password: OWNER.password }, from('203.0.113.200'));
    expect(login.status).toBe(201);
    const victim = await createUser(proxied.api.as(login.body.session_token));
    const statuses = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const r = await proxied.api.call('POST', '/users/otp/request', { email: victim.email }, from(`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`));
      statuses.add(r.status);
    }
    // Every caller got the same answer as for any address ...
    expect([...statuses]).toEqual([204]);
    // ... and the mailbox got at most three codes.
    const sent = await proxied.database.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notification_messages WHERE user_id = $1 AND notification_template_id = $2`,
      [victim.id, TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE],
    );
    expect(sent.rows[0].n).toBe(3);
  });
});
