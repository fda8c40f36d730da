import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { ensureDashboardBuilt, hasChromium, screenshot, useSession, sharedBrowser } from './browser.js';

// The troubleshooting tab's test notification goes through every configured method; the tab shows
// each method's outcome (status, attempts, error) and watches it until it is final. SMTP reaches a
// real SMTP listener; the webhook endpoint is a real HTTP listener answering 410 (a final failure).
// The help menu in the navigation bar opens the served documentation.
describe.skipIf(!hasChromium)('dashboard: troubleshooting results per method, and the help menu', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let smtp: SmtpSink;
    let hook: HttpSink;
    let owner: ApiHelper;

    beforeAll(async () => {
      await ensureDashboardBuilt();
      smtp = await startSmtpSink();
      hook = await startHttpSink({ respond: { status: 410, body: 'gone' } });
      server = await startTestServer(engine, {
        config: {
          email: { smarthost: smtp.smarthost, from: 'herald@example.com', hello: 'localhost' },
          notifications: { webhook: { endpoint: `${hook.url}/hook` } },
        },
      });
      owner = (await setupOwner(server.api)).api;
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
      await smtp?.close();
      await hook?.close();
    });

    it('shows the outcome of the test notification for each method: SMTP sent, webhook failed with its reason', async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      await page.goto('/deployment/notifications?tab=troubleshooting');
      await page.getByRole('button', { name: 'Send notification' }).click();
      await page.locator('.toast', { hasText: 'Test notification sent' }).waitFor();
      const table = page.getByRole('table', { name: 'Test notification results' });
      const smtpRow = table.locator('tr[data-method="smtp"]');
      const hookRow = table.locator('tr[data-method="webhook"]');
      await table.locator('tr[data-method="smtp"][data-status="sent"]').waitFor({ timeout: 20_000 });
      await table.locator('tr[data-method="webhook"][data-status="permanent_failure"]').waitFor({ timeout: 20_000 });
      await expect(smtpRow.locator('td').allTextContents()).resolves.toEqual(['SMTP', 'Sent', '1', '']);
      await expect(hookRow.locator('td').allTextContents()).resolves.toEqual(['Webhook', 'Failed', '1', 'non-2xx response (410)']);
      // Both rows were really attempted: the mail arrived, the webhook was called.
      expect((await smtp.waitFor(1, 5000))[0].subject).toBeTruthy();
      expect((await hook.waitFor(1, 5000))[0].path).toBe('/hook');
      // The watch ends once every method is final.
      await page.getByText('Watching until every method has a final result…').waitFor({ state: 'detached' });
      if (engine === 'pglite') await screenshot(page, 'deployment-troubleshooting');
      expect(errors()).toEqual([]);
    });

    it('the help menu lists the guides and references, and its links open the served pages', async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      await page.goto('/');
      const help = page.getByRole('button', { name: 'Help' });
      await expect(help.getAttribute('aria-expanded')).resolves.toBe('false');
      await help.click();
      await expect(help.getAttribute('aria-expanded')).resolves.toBe('true');
      const menu = page.getByRole('list', { name: 'Help' });
      await expect(menu.getByRole('link').allTextContents()).resolves.toEqual([
        'Documentation home',
        'Notifications admin guide',
        'Tasks guide',
        'API reference',
        'CLI reference',
      ]);
      // Every entry is a real page.
      for (const href of await menu.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')!))) {
        const r = await fetch(server.url + href);
        expect({ href, status: r.status }).toEqual({ href, status: 200 });
      }
      const [guide] = await Promise.all([context.waitForEvent('page'), menu.getByRole('link', { name: 'Notifications admin guide' }).click()]);
      await guide.waitForLoadState();
      expect(new URL(guide.url()).pathname).toBe('/docs/admin/notifications');
      await expect(guide.locator('h1').first().textContent()).resolves.toMatch(/Notifications/);
      // Escape closes the menu.
      await help.click();
      await menu.waitFor();
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'detached' });
      expect(errors()).toEqual([]);
    });
  });
});
