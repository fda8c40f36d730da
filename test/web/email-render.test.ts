// E-mails that render (issue 17 item 2): a real e-mail received by a real SMTP server shows Herald's
// PNG logo (the URL in the e-mail answers 200 with an image), renders in Chromium in light and dark
// mode (a dark card with legible text when the reader prefers dark), its action button opens a real dashboard page, its plain-text part keeps blank lines, and
// the envelope's MAIL FROM is the bare address while the From: header keeps the display name.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { unusedPort } from '../support/http-sink.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { setupOwner, startTestServer, OWNER, type ApiHelper, type TestServer } from '../support/server.js';
import { waitFor } from '../support/wait.js';
import { ensureDashboardBuilt, hasChromium, screenshot, useSession, sharedBrowser } from './browser.js';

type Look = { page: string; card: string; heading: string; body: string; footer: string; link: string; button: string; buttonBg: string };

/** WCAG relative luminance of a computed "rgb(r, g, b)" colour. */
function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number).map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  if (r === undefined || g === undefined || b === undefined) throw new Error(`not a colour: ${rgb}`);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours. */
function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x! + 0.05) / (y! + 0.05);
}

describe.skipIf(!hasChromium)('notification e-mails in a browser', () => {
  const browser = sharedBrowser();

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

      // The e-mail says it is designed for both schemes.
      expect(mail.html).toContain('<meta name="color-scheme" content="light dark" />');
      expect(mail.html).toMatch(/@media \(prefers-color-scheme: dark\)/);
      const looks: Record<string, Look> = {};
      for (const colorScheme of ['light', 'dark'] as const) {
        const { page, context } = await browser.page(server.url, { width: 700, height: 900, colorScheme });
        await page.emulateMedia({ colorScheme });
        await useSession(context, server.url, owner);
        await page.setContent(mail.html, { waitUntil: 'load' });
        const img = page.locator('img').first();
        await expect(img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0)).resolves.toBe(true);
        await page.getByRole('heading', { level: 1 }).waitFor();
        if (shots) await screenshot(page, `email-${colorScheme}`);
        // Legible in this scheme: the card's background is light or dark as asked, and the heading,
        // body, footer and button text keep at least 4.5:1 against what is behind them.
        const look = await page.evaluate(() => {
          const css = (el: Element | null, prop: 'color' | 'backgroundColor') => (el ? getComputedStyle(el)[prop] : '');
          const card = document.querySelector('.herald-card');
          const button = document.querySelector('a.herald-button');
          return {
            page: css(document.body, 'backgroundColor'),
            card: css(card, 'backgroundColor'),
            heading: css(document.querySelector('h1'), 'color'),
            body: css(card?.querySelector('p') ?? null, 'color'),
            footer: css(document.querySelector('.herald-footer p'), 'color'),
            link: css(document.querySelector('.herald-footer a'), 'color'),
            button: css(button, 'color'),
            buttonBg: css(button, 'backgroundColor'),
          };
        });
        looks[colorScheme] = look;
        const cardLum = luminance(look.card);
        if (colorScheme === 'dark') {
          expect(cardLum, JSON.stringify(look)).toBeLessThan(0.05);
          expect(luminance(look.page)).toBeLessThan(0.05);
        } else {
          expect(cardLum, JSON.stringify(look)).toBeGreaterThan(0.9);
        }
        for (const part of ['heading', 'body', 'footer', 'link'] as const) {
          expect(contrast(look[part], look.card), `${colorScheme} ${part}: ${look[part]} on ${look.card}`).toBeGreaterThanOrEqual(4.5);
        }
        expect(contrast(look.button, look.buttonBg), `${colorScheme} button`).toBeGreaterThanOrEqual(4.5);
        // The button stands out from the card.
        expect(contrast(look.buttonBg, look.card), `${colorScheme} button on card`).toBeGreaterThan(3);
        // The action button leads to a real page of the dashboard.
        const button = page.locator('a', { hasText: /View|Settings/i }).first();
        const href = await button.getAttribute('href');
        expect(href?.startsWith(server.url)).toBe(true);
        await button.click();
        await page.waitForURL((u) => u.origin === server.url);
        await page.locator('main h1').first().waitFor();
        expect(await page.locator('[data-page="not-found"]').count()).toBe(0);
      }
      expect(looks.dark!.card).not.toBe(looks.light!.card);
      expect(looks.dark!.body).not.toBe(looks.light!.body);
    });
  });
});
