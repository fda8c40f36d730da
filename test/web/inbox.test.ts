import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { insertInboxRows } from '../../src/notifications/inbox/store.js';
import { TEMPLATE_CUSTOM_NOTIFICATION, TEMPLATE_WORKSPACE_DELETED } from '../../src/notifications/templates/catalogue.js';
import { ensureDashboardBuilt, hasChromium, screenshot, useSession, sharedBrowser } from './browser.js';

const badge = (page: Page) => page.getByTestId('inbox-badge');
const bell = (page: Page) => page.getByRole('button', { name: /^Inbox/ });

describe.skipIf(!hasChromium)('dashboard: the Inbox bell', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let owner: ApiHelper;
    const shots = engine === 'pglite';

    // Generous: a cold embedded database takes a while to migrate on a busy machine.
    beforeAll(async () => {
      await ensureDashboardBuilt();
      // Inbox delivery only: nothing else is configured, and the e-mails' failures do not matter here.
      server = await startTestServer(engine);
      owner = (await setupOwner(server.api)).api;
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
    });

    it('receives a custom notification live, renders Markdown safely, and marks items read', async () => {
      const user = await createUser(owner, [], { username: 'mia', name: 'Mia Member' });
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, user.api);
      await page.goto('/');
      // Keyboard: the bell opens with Enter, Escape closes and gives the focus back.
      await bell(page).focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Inbox' });
      await dialog.getByText('No notifications').waitFor();
      await dialog.getByText('New notifications will be displayed here.').waitFor();
      await expect(dialog.getByRole('button', { name: 'Mark all as read' }).isDisabled()).resolves.toBe(true);
      if (shots) await screenshot(page, 'inbox-empty');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).resolves.toBe('Inbox');

      // Sent from the home page's form; it arrives over the watch socket, without a reload.
      await page.getByLabel('Title').fill('Deploy finished');
      await page.getByLabel('Message').fill('All 3 services are up.');
      await page.getByRole('button', { name: 'Send notification' }).click();
      await badge(page).filter({ hasText: /^1$/ }).waitFor();
      await expect(bell(page).getAttribute('aria-label')).resolves.toBe('Inbox, 1 unread');

      // A notification with Markdown, raw HTML and an action pointing into the dashboard.
      const [row] = await insertInboxRows(server.db, [
        {
          id: randomUUID(),
          user_id: user.id,
          template_id: TEMPLATE_WORKSPACE_DELETED,
          targets: null,
          title: 'Workspace deleted',
          content: 'Your workspace **dev-box** was deleted. <img src=x onerror="window.__xss=1"> [Docs](https://example.com/docs)',
          actions: [{ label: 'View settings', url: `${server.url}/settings/notifications` }],
        },
      ]);
      await badge(page).filter({ hasText: /^2$/ }).waitFor();
      await bell(page).click();
      const items = dialog.getByTestId('inbox-item');
      await items.nth(1).waitFor();
      await expect(items.count()).resolves.toBe(2);
      const newest = items.first();
      await expect(newest.locator('strong').textContent()).resolves.toBe('dev-box');
      await expect(newest.getByRole('link', { name: 'Docs' }).getAttribute('href')).resolves.toBe('https://example.com/docs');
      await expect(newest.locator('img').count()).resolves.toBe(0);
      await expect(newest.textContent()).resolves.toContain('<img src=x');
      await expect(items.nth(1).textContent()).resolves.toContain('All 3 services are up.');
      await expect(newest.locator('time').textContent()).resolves.toBe('just now');
      if (shots) await screenshot(page, 'inbox');

      // The unread dot marks the older one read.
      await items.nth(1).hover();
      await items.nth(1).getByRole('button', { name: 'Mark as read' }).click();
      await badge(page).filter({ hasText: /^1$/ }).waitFor();
      await items.nth(1).getByRole('button', { name: 'Mark as read' }).waitFor({ state: 'detached' });
      // An action button opens its page and marks the item read too.
      await newest.getByRole('link', { name: 'View settings' }).click();
      await page.waitForURL('**/settings/notifications');
      await badge(page).waitFor({ state: 'detached' });
      const inbox = await user.api.get('/notifications/inbox');
      expect(inbox.body.unread_count).toBe(0);
      expect(inbox.body.notifications.find((n: { id: string }) => n.id === row.id).read_at).not.toBeNull();
      expect(await page.evaluate(() => (window as { __xss?: number }).__xss)).toBeUndefined();
      expect(errors()).toEqual([]);
    });

    it('loads older notifications 25 at a time, marks all read, and caps the badge at 99+', async () => {
      const user = await createUser(owner, [], { username: 'leo', name: 'Leo Member' });
      // 30 notifications, a minute apart.
      await server.db.query(
        `INSERT INTO inbox_notifications (id, user_id, template_id, title, content, icon, actions, created_at)
         SELECT gen_random_uuid(), $1, $2, 'n' || i, 'Notification number ' || i, '', '[]'::jsonb, now() - make_interval(mins => i)
         FROM generate_series(1, 30) AS i`,
        [user.id, TEMPLATE_CUSTOM_NOTIFICATION],
      );
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, user.api);
      await page.goto('/settings/notifications');
      await badge(page).filter({ hasText: /^30$/ }).waitFor();
      await bell(page).click();
      const dialog = page.getByRole('dialog', { name: 'Inbox' });
      const items = dialog.getByTestId('inbox-item');
      await items.nth(24).waitFor();
      await expect(items.count()).resolves.toBe(25);
      await expect(items.last().textContent()).resolves.toContain('Notification number 25');
      await dialog.getByRole('button', { name: 'Load more' }).click();
      await dialog.getByText('Notification number 30', { exact: true }).waitFor();
      await expect(items.count()).resolves.toBe(30);
      await expect(dialog.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);

      await dialog.getByRole('button', { name: 'Mark all as read' }).click();
      await badge(page).waitFor({ state: 'detached' });
      await expect(dialog.locator('.inbox-item.unread').count()).resolves.toBe(0);
      expect((await user.api.get('/notifications/inbox?read_status=unread')).body).toMatchObject({ notifications: [], unread_count: 0 });

      await server.db.query(
        `INSERT INTO inbox_notifications (id, user_id, template_id, title, content, icon, actions)
         SELECT gen_random_uuid(), $1, $2, 'n', 'Another one', '', '[]'::jsonb FROM generate_series(1, 100)`,
        [user.id, TEMPLATE_CUSTOM_NOTIFICATION],
      );
      await page.reload();
      await badge(page).filter({ hasText: '99+' }).waitFor();
      expect(errors()).toEqual([]);
    });

    it('says so when the live connection fails, reconnects, and catches up', async () => {
      const user = await createUser(owner, [], { username: 'ivy', name: 'Ivy Member' });
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, user.api);
      // The watch socket fails until the test lets it through.
      let connections = 0;
      let fail = true;
      await page.routeWebSocket(/\/notifications\/inbox\/watch/, (ws) => {
        connections++;
        if (fail) ws.close({ code: 1011, reason: 'test: server went away' });
        else ws.connectToServer();
      });
      await page.goto('/');
      await page.locator('.toast', { hasText: 'Unable to retrieve latest inbox notifications. Please try refreshing the browser.' }).waitFor();
      await bell(page).click();
      const alert = page.getByRole('dialog', { name: 'Inbox' }).getByRole('alert');
      await alert.filter({ hasText: 'Unable to retrieve latest inbox notifications.' }).waitFor();
      if (shots) await screenshot(page, 'inbox-connection-error');

      // Sent while disconnected: the reconnect reloads the list, so it is not missed.
      expect((await user.api.post('/notifications/custom', { content: { title: 'While away', message: 'Sent during the outage.' } })).status).toBe(204);
      await expect.poll(async () => (await user.api.get('/notifications/inbox')).body.unread_count, { timeout: 5000 }).toBe(1);
      fail = false;
      await alert.getByRole('button', { name: 'Retry now' }).click();
      await alert.waitFor({ state: 'detached' });
      await page.getByText('Sent during the outage.').waitFor();
      // And live updates work again.
      expect((await user.api.post('/notifications/custom', { content: { title: 'Back', message: 'Live again.' } })).status).toBe(204);
      await page.getByText('Live again.').waitFor();
      await badge(page).filter({ hasText: /^2$/ }).waitFor();
      expect(connections).toBeGreaterThanOrEqual(2);
      expect(errors()).toEqual([]);
    });
  });
});
