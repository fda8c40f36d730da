import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { ROOT, docFiles } from './support.js';

// The link checker: every page of the docs as the server serves it, and every {{base_url}}/docs/... link in
// the notification catalogue; each link and image under /docs must answer 200, each #anchor must exist on
// its page. Links to other sites are not fetched (no network in tests).
const catalogue = fs
  .readdirSync(path.join(ROOT, 'src/db/migrations'))
  .filter((f) => f.endsWith('.sql'))
  .map((f) => fs.readFileSync(path.join(ROOT, 'src/db/migrations', f), 'utf8'))
  .join('\n')
  // SQL comments talk about links; they are not links.
  .replace(/^\s*--.*$/gm, '');
const catalogueLinks = [...new Set([...catalogue.matchAll(/\{\{\s*base_url\s*\}\}(\/docs\/[A-Za-z0-9/_.-]+(?:#[A-Za-z0-9_-]+)?)/g)].map((m) => m[1]))];
const pages = ['/docs', ...docFiles().map((f) => `/docs/${f.replace(/\.md$/, '')}`)];

describe('documentation links', { timeout: 120_000 }, () => {
  let server: TestServer;
  const html = new Map<string, Promise<{ status: number; type: string; body: string }>>();
  const get = (p: string) => {
    let r = html.get(p);
    if (!r) {
      r = fetch(server.url + p).then(async (res) => ({ status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() }));
      html.set(p, r);
    }
    return r;
  };
  /** "" when the link works, else what is wrong with it. */
  const check = async (from: string, href: string): Promise<string> => {
    const u = new URL(href, server.url + from);
    if (u.origin !== server.url || !u.pathname.startsWith('/docs')) return '';
    const r = await get(u.pathname);
    if (r.status !== 200) return `${href} (on ${from}) answers ${r.status}`;
    const anchor = decodeURIComponent(u.hash.slice(1));
    if (anchor && !r.body.includes(`id="${anchor}"`)) return `${href} (on ${from}): no #${anchor} on ${u.pathname}`;
    return '';
  };

  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => server?.stop());

  it('finds the docs and the catalogue links', () => {
    expect(pages.length).toBeGreaterThan(10);
    expect(catalogueLinks.length).toBeGreaterThanOrEqual(3);
  });

  it('every link and image on every docs page works', async () => {
    const broken: string[] = [];
    for (const p of pages) {
      const r = await get(p);
      if (r.status !== 200) {
        broken.push(`${p} answers ${r.status}`);
        continue;
      }
      for (const m of r.body.matchAll(/(?:href|src)="([^"]+)"/g)) {
        const problem = await check(p, m[1].replace(/&amp;/g, '&'));
        if (problem) broken.push(problem);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every {{base_url}}/docs link in a notification template opens a page with its anchor', async () => {
    const broken = (await Promise.all(catalogueLinks.map((l) => check('/', l)))).filter(Boolean);
    expect(broken).toEqual([]);
  });

  it("README's links to files of the repository exist", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const missing = [...readme.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1].split('#')[0])
      .filter((l) => l && !/^[a-z]+:/.test(l) && !fs.existsSync(path.join(ROOT, l)));
    expect(missing).toEqual([]);
  });

  it('serves the screenshots as images', async () => {
    const r = await fetch(server.url + '/docs/images/setup.png');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect((await fetch(server.url + '/docs/images/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await fetch(server.url + '/docs/images/nope.png')).status).toBe(404);
  });
});
