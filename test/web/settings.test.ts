import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import {
  TEMPLATE_CUSTOM_NOTIFICATION,
  TEMPLATE_TEST_NOTIFICATION,
  TEMPLATE_WORKSPACE_DELETED,
} from '../../src/notifications/templates/catalogue.js';
import { ensureDashboardBuilt, hasChromium, screenshot, useSession, sharedBrowser } from './browser.js';

const toastSays = (page: Page, text: string) => page.locator('.toast', { hasText: text }).waitFor();

describe.skipIf(!hasChromium)('dashboard: notification settings and the deployment page', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let sink: SmtpSink;
    let owner: ApiHelper;
    let member: { api: ApiHelper; id: string; email: string };
    const shots = engine === 'pglite';

    // Generous: a cold embedded database takes a while to migrate on a busy machine.
    beforeAll(async () => {
      await ensureDashboardBuilt();
      sink = await startSmtpSink();
      server = await startTestServer(engine, {
        config: { email: { smarthost: sink.smarthost, from: 'herald@example.com', hello: 'localhost' } },
      });
      owner = (await setupOwner(server.api)).api;
      member = await createUser(owner, [], { username: 'mia', name: 'Mia Member' });
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
      await sink?.close();
    });

    it('lets a member switch notifications off and on, per template and per group', async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, member.api);
      await page.goto('/settings/notifications');
      await page.locator('section.pref-group').first().waitFor();
      const groups = await page.locator('section.pref-group h2').allTextContents();
      // Groups for admins only (User, Template) and the test notification's group are hidden.
      expect(groups).toEqual(['Custom Events', 'Task Events', 'Workspace Events']);

      const deleted = page.getByRole('switch', { name: 'Workspace Deleted', exact: true });
      await expect(deleted.getAttribute('aria-checked')).resolves.toBe('true');
      await expect(page.locator(`[data-template-id="${TEMPLATE_WORKSPACE_DELETED}"] [role=img]`).getAttribute('aria-label')).resolves.toBe(
        'Delivery via SMTP',
      );
      await deleted.focus();
      await page.keyboard.press('Space');
      await toastSays(page, 'Notification preferences updated');
      const prefs = (await member.api.get('/users/me/notifications/preferences')).body as { id: string; disabled: boolean }[];
      expect(prefs.find((p) => p.id === TEMPLATE_WORKSPACE_DELETED)?.disabled).toBe(true);
      await page.reload();
      await expect(page.getByRole('switch', { name: 'Workspace Deleted', exact: true }).getAttribute('aria-checked')).resolves.toBe('false');
      // One template off leaves the group switch off; switching the group on enables them all.
      const group = page.getByRole('switch', { name: 'All Workspace Events' });
      await expect(group.getAttribute('aria-checked')).resolves.toBe('false');
      await group.click();
      await toastSays(page, 'Notification preferences updated');
      await expect(group.getAttribute('aria-checked')).resolves.toBe('true');
      const after = (await member.api.get('/users/me/notifications/preferences')).body as { id: string; disabled: boolean }[];
      expect(after.find((p) => p.id === TEMPLATE_WORKSPACE_DELETED)?.disabled).toBe(false);
      if (shots) await screenshot(page, 'settings-notifications');
      expect(errors()).toEqual([]);
    });

    it("disables a template from the e-mail footer's link, and nothing more arrives", async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, member.api);
      await page.goto(`/settings/notifications?disabled=${TEMPLATE_CUSTOM_NOTIFICATION}`);
      await page.getByText('Notification has been disabled: you will no longer receive “Custom Notification” notifications.').waitFor();
      await expect(page.getByRole('switch', { name: 'Custom Notification', exact: true }).getAttribute('aria-checked')).resolves.toBe('false');
      if (shots) await screenshot(page, 'settings-notifications-disabled');

      const mailsBefore = sink.messages.length;
      expect((await member.api.post('/notifications/custom', { content: { title: 'Still there?', message: 'You should not see this.' } })).status).toBe(204);
      // The request enqueues before it answers: with the template disabled nothing was queued, so
      // nothing can be delivered later either.
      const history = await owner.get(`/notifications/messages?user_id=${member.id}&template_id=${TEMPLATE_CUSTOM_NOTIFICATION}`);
      expect(history.status).toBe(200);
      expect(history.body).toEqual({ messages: [], count: 0 });
      const inbox = await member.api.get('/notifications/inbox');
      expect(inbox.body.notifications).toEqual([]);
      expect(sink.messages.slice(mailsBefore).filter((m) => m.to.includes(member.email))).toEqual([]);
      expect(errors()).toEqual([]);
    });

    it("lets the owner change a template's method, read the settings, send a test and follow its delivery", async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      await page.goto('/deployment/notifications');
      await page.getByText('Control delivery methods for notifications on this deployment.').waitFor();
      const row = page.locator(`li[data-template-id="${TEMPLATE_WORKSPACE_DELETED}"]`);
      await expect(row.getByRole('radio', { name: 'SMTP' }).isChecked()).resolves.toBe(true);
      await expect(page.getByText('Webhook notifications are enabled, but not properly configured.').count()).resolves.toBe(0);
      await row.getByText('Webhook', { exact: true }).click();
      await toastSays(page, 'Notification method updated');
      await expect(row.getByRole('radio', { name: 'Webhook' }).isChecked()).resolves.toBe(true);
      const system = (await owner.get('/notifications/templates/system')).body as { id: string; method: string }[];
      expect(system.find((t) => t.id === TEMPLATE_WORKSPACE_DELETED)?.method).toBe('webhook');
      // No webhook endpoint is configured: the page says so.
      await page.getByText('Webhook notifications are enabled, but not properly configured.').waitFor();
      if (shots) await screenshot(page, 'deployment-events');
      await row.getByRole('button', { name: 'Use default' }).click();
      await row.locator('input[value="smtp"]:checked').waitFor();
      await row.getByRole('button', { name: 'Use default' }).waitFor({ state: 'detached' });
      const reset = (await owner.get('/notifications/templates/system')).body as { id: string; method: string }[];
      expect(reset.find((t) => t.id === TEMPLATE_WORKSPACE_DELETED)?.method).toBe('');

      await page.getByRole('link', { name: 'Settings', exact: true }).click();
      const smarthost = page.locator('tr', { has: page.locator('code', { hasText: /^--email-smarthost$/ }) });
      await expect(smarthost.locator('td.value').textContent()).resolves.toBe(sink.smarthost);
      if (shots) await screenshot(page, 'deployment-settings');

      await page.getByRole('link', { name: 'Troubleshooting' }).click();
      await page.getByRole('button', { name: 'Send notification' }).click();
      await toastSays(page, 'Test notification sent');

      await page.getByRole('link', { name: 'Delivery history', exact: true }).click();
      await page.locator('select[name=template_id]').selectOption(TEMPLATE_TEST_NOTIFICATION);
      // Live refresh: the rows reach "sent" without a reload.
      const sent = page.locator('tbody tr', { hasText: 'Troubleshooting Notification' }).filter({ hasText: 'sent' });
      await sent.first().waitFor({ timeout: 10_000 });
      const methods = await page.locator('tbody tr', { hasText: 'Troubleshooting Notification' }).locator('td:nth-child(4)').allTextContents();
      expect(methods).toContain('SMTP');
      await sink.waitFor(1, 5000);
      if (shots) await screenshot(page, 'deployment-history');
      expect(errors()).toEqual([]);
    });

    it('fits a 375 px wide screen in the dark theme', async () => {
      const { page, context, errors } = await browser.page(server.url, { width: 375, height: 740, colorScheme: 'dark' });
      await useSession(context, server.url, owner);
      for (const path of ['/', '/settings/notifications', '/deployment/notifications', '/deployment/notifications?tab=history']) {
        await page.goto(path);
        await page.locator('main h1').first().waitFor();
        await page.waitForLoadState('networkidle');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, path).toBeLessThanOrEqual(0);
      }
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).toBe('rgb(11, 17, 32)');
      await page.goto('/settings/notifications');
      await page.getByRole('switch', { name: 'All Workspace Events' }).waitFor();
      if (shots) await screenshot(page, 'settings-notifications-mobile-dark');
      // The Inbox popover fits the narrow screen too.
      await page.getByRole('button', { name: /^Inbox/ }).click();
      const box = await page.getByRole('dialog', { name: 'Inbox' }).boundingBox();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(375);
      if (shots) await screenshot(page, 'inbox-mobile-dark');
      expect(errors()).toEqual([]);
    });
  });
});
