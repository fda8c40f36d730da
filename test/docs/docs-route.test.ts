import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';

// Notification bodies link to {{base_url}}/docs/...: every such link must open a page with that anchor.
const catalogue = fs.readFileSync(new URL('../../src/db/migrations/0003_notification_catalogue.sql', import.meta.url), 'utf8');
const links = [...new Set([...catalogue.matchAll(/\{\{\s*base_url\s*\}\}(\/docs\/[A-Za-z0-9/_-]+(?:#[A-Za-z0-9-]+)?)/g)].map((m) => m[1]))];

describe('documentation served at /docs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => server?.stop());

  it('notification templates link to docs', () => {
    expect(links.length).toBeGreaterThanOrEqual(3);
  });

  it('every docs link in a notification template opens a page with its anchor', async () => {
    for (const link of links) {
      const [p, anchor] = link.split('#');
      const r = await fetch(server.url + p);
      expect({ link, status: r.status }).toEqual({ link, status: 200 });
      const html = await r.text();
      if (anchor) expect(html, link).toContain(`id="${anchor}"`);
    }
  });

  it('renders Markdown pages as HTML with working links, and refuses paths outside docs/', async () => {
    const index = await fetch(server.url + '/docs');
    expect(index.status).toBe(200);
    const html = await index.text();
    expect(html).toContain('<h1 id="herald-documentation">');
    expect(html).toContain('href="/docs/admin/notifications"');
    expect((await fetch(server.url + '/docs/admin/notifications')).headers.get('content-type')).toContain('text/html');
    expect((await fetch(server.url + '/docs/nope')).status).toBe(404);
    expect((await fetch(server.url + '/docs/..%2F..%2Fpackage.json')).status).toBe(404);
  });
});
