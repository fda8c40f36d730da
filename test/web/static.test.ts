import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandlers } from '../../src/api/errors.js';
import { DASHBOARD_DIR, registerDashboard } from '../../src/server/static.js';
import { ensureDashboardBuilt } from './browser.js';

async function appWith(root: string): Promise<FastifyInstance> {
  const app = Fastify();
  installErrorHandlers(app);
  app.get('/healthz', async () => 'OK');
  await app.register(async (api) => api.get('/users/me', async () => ({ id: 'me' })), { prefix: '/api/v2' });
  await registerDashboard(app, root);
  return app;
}

describe('serving the dashboard', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    await ensureDashboardBuilt();
    app = await appWith(DASHBOARD_DIR);
  });
  afterAll(async () => app?.close());

  it('answers every page of the app with index.html, with a content security policy', async () => {
    for (const url of ['/', '/login', '/settings/notifications?disabled=x', '/deployment/notifications', '/reset-password/change?otp=a&email=b']) {
      const r = await app.inject({ url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.body).toContain('<div id="root"></div>');
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
      expect(r.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves built assets for a long time and answers 404 for missing files', async () => {
    const html = (await app.inject({ url: '/' })).body;
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await app.inject({ url: script! });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ url: '/assets/nope.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/../package.json' })).statusCode).not.toBe(200);
    expect((await app.inject({ url: '/%2e%2e/package.json' })).statusCode).toBe(404);
  });

  it('never answers the API, /healthz or /metrics with the app', async () => {
    expect((await app.inject({ url: '/api/v2/users/me' })).json()).toEqual({ id: 'me' });
    const missing = await app.inject({ url: '/api/v2/no-such-route' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/json/);
    expect((await app.inject({ url: '/api' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/healthz' })).body).toBe('OK');
    expect((await app.inject({ url: '/metrics/x' })).statusCode).toBe(404);
  });

  it('says the dashboard was not built when its files are missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'herald-web-'));
    const bare = await appWith(empty);
    try {
      const r = await bare.inject({ url: '/settings/notifications' });
      expect(r.statusCode).toBe(200);
      expect(r.body).toContain('The dashboard was not built');
      expect((await bare.inject({ url: '/api/v2/users/me' })).json()).toEqual({ id: 'me' });
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
