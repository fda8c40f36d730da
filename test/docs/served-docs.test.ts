import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { hasChromium, openBrowser, type TestBrowser } from '../web/browser.js';
import { docFiles } from './support.js';

// The served docs on a phone: styled, and no page scrolls sideways at 375 px (long code scrolls inside its block).
describe.skipIf(!hasChromium)('served docs in a browser', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: TestBrowser;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    browser = await openBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('fits a 375 px screen on every page, with its images loaded', async () => {
    const { page } = await browser.page(server.url, { width: 375, height: 800 });
    const wide: string[] = [];
    for (const p of ['/docs', ...docFiles().map((f) => `/docs/${f.replace(/\.md$/, '')}`)]) {
      await page.goto(p, { waitUntil: 'load' });
      const m = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        broken: [...document.images].filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.getAttribute('src')),
        font: getComputedStyle(document.body).fontFamily,
      }));
      if (m.scroll > 375) wide.push(`${p}: ${m.scroll}px`);
      expect({ p, broken: m.broken }).toEqual({ p, broken: [] });
      expect(m.font).toContain('system-ui');
    }
    expect(wide).toEqual([]);
  });
});
