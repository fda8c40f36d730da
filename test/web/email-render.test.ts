// E-mails that render (issue 17 item 2): a real e-mail received by a real SMTP server shows Herald's
// PNG logo (the URL in the e-mail answers 200 with an image), renders in Chromium in light and dark
// mode, its action button opens a real dashboard page, its plain-text part keeps blank lines, and
// the envelope's MAIL FROM is the bare address while the From: header keeps the display name.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { unusedPort } from '../support/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { setupOwner, startTestServer, OWNER, type ApiHelper, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { ensureDashboardBuilt, hasChromium, openBrowser, screenshot, useSession, type TestBrowser } from './browser.js';

describe.skipIf(!hasChromium)('notification e-mails in a browser', () => {
  let browser: TestBrowser;
  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(async () => browser?.close());

  describeEachEngine('delivered', (engine) => {
    let sink: SmtpSink;
    let server: TestServer;
    let owner: ApiHelper;
    const shots = engine === 'pglite';

    beforeAll(async () => {
      await ensureDashboardBuilt();
      sink = await startSmtpSink();
      // The access URL is this server's own address, so the links in the e-mail can be followed.
      const port = await unusedPort();
      server = await startTestServer(engine, {
        config: {
          httpAddress: `127.0.0.1:${port}`,
          accessUrl: `http://127.0.0.1:${port}`,
          email: { smarthost: sink.smarthost, from: 'Herald Notifications <herald@example.com>', hello: 'localhost' },
        },
      });
      owner = (await setupOwner(server.api)).api;
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
      await sink?.close();
    });

    it('logo, rendering, action button, plain-text spacing and sender', { timeout: 120_000 }, async () => {
      expect((await owner.post('/notifications/test')).status).toBe(204);
      const mail = await waitFor(() => sink.messages.find((m) => m.envelopeTo.includes(OWNER.email) && /test/i.test(m.subject)), 20_000);

      // MAIL FROM is the bare address; the header keeps the name.
      expect(mail.envelopeFrom).toBe('herald@example.com');
      expect(mail.headers.from).toContain('Herald Notifications');

      // The logo: a PNG served by Herald at the URL the e-mail names.
      const src = /<img src="([^"]+)"/.exec(mail.html)?.[1];
      expect(src).toBe(`${server.url}/icon/herald.png`);
      const logo = await fetch(src!);
      expect(logo.status).toBe(200);
      expect(logo.headers.get('content-type')).toMatch(/^image\/png/);
      expect(Buffer.from(await logo.arrayBuffer()).subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));

      // Plain text: greeting, body and actions are separated by blank lines.
      expect(mail.text).toMatch(/^Hi [^\n]+,\n\n\S/);
      expect(mail.text).toMatch(/\n\n[^\n]+: http:\/\/127\.0\.0\.1:\d+\/\S+\n?$/);

      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, context } = await browser.page(server.url, { width: 700, height: 900, colorScheme });
        await useSession(context, server.url, owner);
        await page.setContent(mail.html, { waitUntil: 'load' });
        const img = page.locator('img').first();
        await expect(img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).resolves.toBe(true);
        await page.getByRole('heading', { level: 1 }).waitFor();
        if (shots) await screenshot(page, `email-${colorScheme}`);
        // The action button leads to a real page of the dashboard.
        const button = page.locator('a', { hasText: /View|Settings/i }).first();
        const href = await button.getAttribute('href');
        expect(href?.startsWith(server.url)).toBe(true);
        await button.click();
        await page.waitForURL((u) => u.origin === server.url);
        await page.locator('main h1').first().waitFor();
        expect(await page.locator('[data-page="not-found"]').count()).toBe(0);
      }
    });
  });
});
