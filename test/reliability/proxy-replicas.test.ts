// Two replicas on one PostgreSQL behind a local reverse proxy (round robin, appending the peer to
// X-Forwarded-For as nginx's $proxy_add_x_forwarded_for does), started with
// --proxy-trusted-headers X-Forwarded-For --proxy-trusted-origins 127.0.0.1/32: bad logins from
// one client lock that client only, and the limit counts across both replicas.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, pgAvailable, type TestDatabase } from '../support/db.js';
import { OWNER, setupOwner, startTestServer, ApiHelper, type TestServer } from '../support/server.js';
import { figures } from './helpers.js';

interface Proxy {
  url: string;
  /** Requests sent to each upstream. */
  served: number[];
  close(): Promise<void>;
}

async function roundRobinProxy(upstreams: string[]): Promise<Proxy> {
  const served = upstreams.map(() => 0);
  let next = 0;
  const server = http.createServer((req, res) => {
    const i = next++ % upstreams.length;
    served[i]++;
    const target = new URL(req.url ?? '/', upstreams[i]);
    const xff = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
    const out = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host, 'x-forwarded-for': xff } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!pgAvailable())('two replicas behind a trusted proxy [postgres]', () => {
  let database: TestDatabase;
  let replicas: TestServer[];
  let proxy: Proxy;
  let api: ApiHelper;

  beforeAll(async () => {
    database = await freshDatabase('postgres');
    const config = { proxy: { trustedHeaders: 'X-Forwarded-For', trustedOrigins: '127.0.0.1/32' } }; // default --login-rate-limit 60
    replicas = [await startTestServer('postgres', { database, config }), await startTestServer('postgres', { database, config })];
    proxy = await roundRobinProxy(replicas.map((r) => r.url));
    api = new ApiHelper(proxy.url);
    await setupOwner(new ApiHelper(replicas[0].url));
  });
  afterAll(async () => {
    await proxy?.close();
    for (const r of replicas ?? []) await r.stop();
    await database?.drop();
  });

  const login = (client: string, password: string) => api.call('POST', '/users/login', { email: OWNER.email, password }, { 'x-forwarded-for': client });

  it('60 bad logins from one client lock that client on both replicas; another client still logs in', async () => {
    const attacker = '198.51.100.23';
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 60; i++) {
      const r = await login(attacker, `Wr0ng-guess-${i}`);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
    expect(statuses).toEqual({ 401: 60 });
    expect(proxy.served).toEqual([30, 30]);
    // The 61st attempt is refused whichever replica takes it, even with the right password.
    const locked = [await login(attacker, OWNER.password), await login(attacker, OWNER.password)];
    expect(locked.map((r) => r.status)).toEqual([429, 429]);
    expect(Number(locked[0].headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client behind the same proxy is not affected, on either replica.
    const other = [await login('203.0.113.42', OWNER.password), await login('203.0.113.42', OWNER.password)];
    expect(other.map((r) => r.status)).toEqual([201, 201]);
    // One counter for both replicas.
    const rows = await database.db.query<{ key: string; hits: number }>(`SELECT key, hits FROM rate_limit_windows WHERE rule = 'login' ORDER BY key`);
    expect(rows.rows.filter((r) => r.key !== '127.0.0.1')).toEqual([
      { key: attacker, hits: 62 },
      { key: '203.0.113.42', hits: 2 },
    ]);
    figures('proxy limits [postgres]', {
      replicas: 2,
      bad_logins: 60,
      served_per_replica: proxy.served.slice(),
      attacker_after_60: locked.map((r) => r.status),
      other_client: other.map((r) => r.status),
      counted: rows.rows.find((r) => r.key === attacker)?.hits,
    });
  });
});
