// Issue 18 in a browser: tabs and filters, read/unread, archive and snooze kept in step across two
// tabs, the full page with search, the error state with Retry, the channel grid, and a keyboard walk.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { insertInboxRows } from '../../src/notifications/inbox/store.js';
import { TEMPLATE_CUSTOM_NOTIFICATION, TEMPLATE_WORKSPACE_DELETED } from '../../src/notifications/templates/catalogue.js';
import { axeViolations, ensureDashboardBuilt, hasChromium, screenshot, themed, useSession, sharedBrowser } from './browser.js';

const badge = (page: Page) => page.getByTestId('inbox-badge');
const bell = (page: Page) => page.getByRole('button', { name: /^Inbox/ });
const dialogOf = (page: Page) => page.getByRole('dialog', { name: 'Inbox' });
const itemNamed = (scope: Locator, title: string) => scope.getByTestId('inbox-item').filter({ hasText: title });
/** What has the focus: never the page's body in a keyboard walk. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const a = document.activeElement;
    return !a || a === document.body ? 'BODY' : `${a.tagName}:${a.getAttribute('aria-label') ?? a.textContent?.trim().slice(0, 40)}`;
  });

describe.skipIf(!hasChromium)('dashboard: inbox tabs, archive, snooze and the full page', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let owner: ApiHelper;
    const shots = engine === 'pglite';

    beforeAll(async () => {
      await ensureDashboardBuilt();
      server = await startTestServer(engine);
      owner = (await setupOwner(server.api)).api;
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
    });

    const seed = async (userId: string) => {
      const rows = await insertInboxRows(server.db, [
        { id: randomUUID(), user_id: userId, template_id: TEMPLATE_CUSTOM_NOTIFICATION, targets: null, title: 'Backup finished', content: 'Nightly backup took 4 minutes.', actions: [] },
        { id: randomUUID(), user_id: userId, template_id: TEMPLATE_WORKSPACE_DELETED, targets: null, title: 'Workspace deleted', content: 'Your workspace **dev-box** was deleted.', actions: [] },
        { id: randomUUID(), user_id: userId, template_id: TEMPLATE_CUSTOM_NOTIFICATION, targets: null, title: 'Job 7 done', content: 'The job ran green.', actions: [] },
      ]);
      return Object.fromEntries(rows.map((r) => [r.title, r.id])) as Record<string, string>;
    };

    it('keeps two tabs in step: archive, mark unread, snooze and its return', async () => {
      const user = await createUser(owner, [], { username: 'tia', name: 'Tia Member' });
      const ids = await seed(user.id);
      const a = await browser.page(server.url);
      const b = await browser.page(server.url);
      for (const t of [a, b]) {
        await useSession(t.context, server.url, user.api);
        await t.page.goto('/');
        await badge(t.page).filter({ hasText: /^3$/ }).waitFor();
        await bell(t.page).click();
        await dialogOf(t.page).getByTestId('inbox-item').nth(2).waitFor();
      }
      const da = dialogOf(a.page);
      const db = dialogOf(b.page);
      // Titles are shown with the content.
      await expect(itemNamed(da, 'Backup finished').locator('.inbox-title').textContent()).resolves.toContain('Backup finished');
      // Icons per kind: the custom notification and the workspace one differ.
      await expect(itemNamed(da, 'Backup finished').locator('.inbox-avatar').getAttribute('data-kind')).resolves.toBe('custom');
      await expect(itemNamed(da, 'Workspace deleted').locator('.inbox-avatar').getAttribute('data-kind')).resolves.toBe('workspace');

      // Archive in tab A: gone from tab B within a second, listed under B's Archived tab.
      await itemNamed(da, 'Backup finished').getByRole('button', { name: 'Archive' }).click();
      await itemNamed(db, 'Backup finished').waitFor({ state: 'detached', timeout: 1000 });
      await expect.poll(() => db.getByTestId('inbox-item').count()).toBe(2);
      await badge(b.page).filter({ hasText: /^2$/ }).waitFor({ timeout: 1000 });
      await db.getByRole('button', { name: 'Archived' }).click();
      await itemNamed(db, 'Backup finished').waitFor();
      await expect.poll(() => db.getByTestId('inbox-item').count()).toBe(1);
      await db.getByRole('button', { name: 'All', exact: true }).click();
      await itemNamed(db, 'Job 7 done').waitFor();

      // Mark read, then unread, in A; B follows; the focus stays on the button.
      const readBtn = itemNamed(da, 'Job 7 done').getByRole('button', { name: 'Mark as read' });
      await readBtn.click();
      await badge(b.page).filter({ hasText: /^1$/ }).waitFor({ timeout: 1000 });
      await itemNamed(db, 'Job 7 done').getByRole('button', { name: 'Mark as unread' }).waitFor({ timeout: 1000 });
      const unreadBtn = itemNamed(da, 'Job 7 done').getByRole('button', { name: 'Mark as unread' });
      await expect(unreadBtn.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
      await unreadBtn.click();
      await badge(b.page).filter({ hasText: /^2$/ }).waitFor({ timeout: 1000 });
      const api = await user.api.get(`/notifications/inbox?read_status=unread`);
      expect(api.body.notifications.map((n: { id: string }) => n.id)).toContain(ids['Job 7 done']);

      // The Unread tab and the kind filter.
      await db.getByRole('button', { name: 'Unread' }).click();
      await expect.poll(() => db.getByTestId('inbox-item').count()).toBe(2);
      await db.getByLabel('Kind').selectOption('workspace');
      await itemNamed(db, 'Job 7 done').waitFor({ state: 'detached' });
      await expect.poll(() => db.getByTestId('inbox-item').count()).toBe(1);
      await itemNamed(db, 'Workspace deleted').waitFor();
      await db.getByLabel('Kind').selectOption('');
      await db.getByRole('button', { name: 'All', exact: true }).click();
      await itemNamed(db, 'Job 7 done').waitFor();

      // Snooze for an hour from the menu: gone from both tabs, and stored.
      await itemNamed(da, 'Job 7 done').getByRole('button', { name: 'Snooze' }).click();
      await itemNamed(da, 'Job 7 done').getByRole('button', { name: '1 hour' }).click();
      await itemNamed(db, 'Job 7 done').waitFor({ state: 'detached', timeout: 1000 });
      await itemNamed(da, 'Job 7 done').waitFor({ state: 'detached' });
      const snoozed = await user.api.get('/notifications/inbox?snoozed=true');
      const until = Date.parse(snoozed.body.notifications.find((n: { id: string }) => n.id === ids['Job 7 done']).snoozed_until);
      expect(until - Date.now()).toBeGreaterThan(3500_000);

      // Snoozed for 2 s (through the API): leaves both tabs and comes back by itself, unread.
      const s = await user.api.put(`/notifications/inbox/${ids['Workspace deleted']}/snooze`, { until: new Date(Date.now() + 2000).toISOString() });
      expect(s.status).toBe(200);
      await itemNamed(da, 'Workspace deleted').waitFor({ state: 'detached', timeout: 1000 });
      await itemNamed(db, 'Workspace deleted').waitFor({ state: 'detached', timeout: 1000 });
      await itemNamed(da, 'Workspace deleted').waitFor({ timeout: 6000 });
      await itemNamed(db, 'Workspace deleted').waitFor({ timeout: 1000 });
      await expect(itemNamed(db, 'Workspace deleted').getAttribute('class')).resolves.toContain('unread');
      expect(a.errors()).toEqual([]);
      expect(b.errors()).toEqual([]);
    });

    it('shows a load error with Retry (and no empty state), then the list', async () => {
      const user = await createUser(owner, [], { username: 'rex', name: 'Rex Member' });
      await seed(user.id);
      const { page, context } = await browser.page(server.url);
      await useSession(context, server.url, user.api);
      let fail = true;
      await page.route(/\/api\/v2\/notifications\/inbox(\?|$)/, (route) =>
        fail ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ message: 'Service unavailable' }) }) : route.continue(),
      );
      await page.goto('/notifications');
      const alert = page.getByRole('alert').filter({ hasText: 'Failed to load notifications' });
      await alert.waitFor();
      await expect(page.getByText('No notifications').count()).resolves.toBe(0);
      fail = false;
      await alert.getByRole('button', { name: 'Retry' }).click();
      await page.getByTestId('inbox-item').nth(2).waitFor();
      await expect(alert.count()).resolves.toBe(0);
    });

    it('full page: search over titles and content, linked from the popover', async () => {
      const user = await createUser(owner, [], { username: 'sam', name: 'Sam Member' });
      await seed(user.id);
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, user.api);
      await page.goto('/');
      await bell(page).click();
      await dialogOf(page).getByRole('link', { name: 'View all notifications' }).click();
      await page.waitForURL('**/notifications');
      await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
      await page.getByTestId('inbox-item').nth(2).waitFor();
      await page.getByLabel('Search notifications').fill('nightly');
      await page.waitForURL('**/notifications?q=nightly');
      await page.getByTestId('inbox-item').nth(1).waitFor({ state: 'detached' });
      await expect.poll(() => page.getByTestId('inbox-item').count()).toBe(1);
      await itemNamed(page.locator('main'), 'Backup finished').waitFor();
      await page.getByLabel('Search notifications').fill('job green');
      await page.getByTestId('inbox-item').filter({ hasText: 'Job 7 done' }).waitFor();
      await expect.poll(() => page.getByTestId('inbox-item').count()).toBe(1);
      // A grouped message is one item that expands to its events (issue 19).
      await insertInboxRows(server.db, [
        {
          id: randomUUID(),
          user_id: user.id,
          template_id: TEMPLATE_WORKSPACE_DELETED,
          targets: null,
          title: '3 more workspaces deleted',
          content: 'Deleted: a, b, c',
          actions: [],
          group: { count: 30, events: ['a', 'b', 'c'].map((x) => ({ title: `Workspace ${x} deleted`, created_at: new Date().toISOString() })) },
        },
      ]);
      await page.getByLabel('Search notifications').fill('more workspaces');
      const grouped = page.getByTestId('inbox-item').filter({ hasText: '3 more workspaces deleted' });
      const toggle = grouped.getByRole('button', { name: 'Show 30 events' });
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
      await toggle.click();
      const events = grouped.getByRole('list', { name: '30 grouped events' }).getByRole('listitem');
      await expect.poll(() => events.allTextContents()).toEqual([
        expect.stringContaining('Workspace a deleted'),
        expect.stringContaining('Workspace b deleted'),
        expect.stringContaining('Workspace c deleted'),
        'and 27 more',
      ]);
      await expect(grouped.getByRole('button', { name: 'Hide 30 events' }).getAttribute('aria-expanded')).resolves.toBe('true');
      await page.getByLabel('Search notifications').fill('nothing-like-this');
      await page.getByText('Nothing matches these filters.').waitFor();
      expect(errors()).toEqual([]);
    });

    it('keyboard: the popover traps focus and gives it back; settings keep the focus after a save', async () => {
      const user = await createUser(owner, [], { username: 'kim', name: 'Kim Member' });
      await seed(user.id);
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, user.api);
      await page.goto('/');
      await badge(page).filter({ hasText: /^3$/ }).waitFor();
      await bell(page).focus();
      await page.keyboard.press('Enter');
      const dialog = dialogOf(page);
      await dialog.getByTestId('inbox-item').nth(2).waitFor();
      // Tab and Shift+Tab stay inside the dialog, never on <body>.
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press(i < 20 ? 'Tab' : 'Shift+Tab');
        expect(await focused(page)).not.toBe('BODY');
        expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
      }
      // Archiving from the keyboard moves the focus to the next item, not to <body>.
      await itemNamed(dialog, 'Backup finished').getByRole('button', { name: 'Archive' }).focus();
      await page.keyboard.press('Enter');
      await itemNamed(dialog, 'Backup finished').waitFor({ state: 'detached' });
      expect(await focused(page)).not.toBe('BODY');
      expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await expect(page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).resolves.toMatch(/^Inbox/);

      // Settings: a switch and a channel checkbox saved from the keyboard keep the focus.
      await page.goto('/settings/notifications');
      const sw = page.getByRole('switch', { name: 'Workspace Deleted', exact: true });
      await sw.focus();
      await page.keyboard.press('Space');
      await page.locator('.toast', { hasText: 'Notification preferences updated' }).waitFor();
      await expect(sw.getAttribute('aria-checked')).resolves.toBe('false');
      await expect(sw.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
      await page.keyboard.press('Space');
      await expect.poll(() => sw.getAttribute('aria-checked')).toBe('true');
      const box = page.getByRole('checkbox', { name: 'Workspace Deleted via Inbox' });
      // Checked again once the switch's save has come back (CI once read it a moment before).
      await expect.poll(() => box.isChecked(), { timeout: 5000 }).toBe(true);
      await box.focus();
      await page.keyboard.press('Space');
      await expect.poll(() => box.isChecked()).toBe(false);
      await expect.poll(async () => {
        const prefs = (await user.api.get('/users/me/notifications/preferences/channels')).body as { templates: { id: string; channels: Record<string, boolean> }[] };
        return prefs.templates.find((t) => t.id === TEMPLATE_WORKSPACE_DELETED)?.channels.inbox;
      }).toBe(false);
      await expect(box.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
      // A walk through the settings page, from the skip link to its last control, never lands on <body>.
      await page.reload();
      await page.getByRole('checkbox', { name: 'Workspace Deleted via Inbox' }).waitFor();
      const stops = await page.evaluate(
        () => [...document.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), input:not([disabled]), select, [tabindex="0"]')].filter((e) => e.offsetParent !== null || e.classList.contains('skip-link')).length,
      );
      expect(stops).toBeGreaterThan(10);
      for (let i = 0; i < stops; i++) {
        await page.keyboard.press('Tab');
        expect(await focused(page)).not.toBe('BODY');
      }
      expect(errors()).toEqual([]);
    });

    it('method radios: arrow keys move the choice without saving, Enter saves, the focus stays', async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      const saves: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'PUT' && r.url().includes('/method')) saves.push(r.url());
      });
      await page.goto('/deployment/notifications');
      const row = page.locator(`li[data-template-id="${TEMPLATE_WORKSPACE_DELETED}"]`);
      const smtp = row.getByRole('radio', { name: 'SMTP' });
      await smtp.focus();
      await page.keyboard.press('ArrowRight');
      const webhook = row.getByRole('radio', { name: 'Webhook' });
      await expect(webhook.isChecked()).resolves.toBe(true);
      await row.getByText('Press Enter to save').waitFor();
      expect(saves).toEqual([]);
      await page.keyboard.press('Enter');
      await page.locator('.toast', { hasText: 'Notification method updated' }).waitFor();
      expect(saves).toHaveLength(1);
      const system = (await owner.get('/notifications/templates/system')).body as { id: string; method: string }[];
      expect(system.find((t) => t.id === TEMPLATE_WORKSPACE_DELETED)?.method).toBe('webhook');
      await expect(webhook.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
      await row.getByRole('button', { name: 'Use default' }).focus();
      await page.keyboard.press('Enter');
      await row.locator('input[value="smtp"]:checked').waitFor();
      await expect.poll(() => page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))).toContain('value="smtp"');
      expect(errors()).toEqual([]);
    });

    it('full page: scrolling to the end loads older notifications', async () => {
      const user = await createUser(owner, [], { username: 'ola', name: 'Ola Member' });
      await server.db.query(
        `INSERT INTO inbox_notifications (id, user_id, template_id, title, content, icon, actions, created_at)
         SELECT gen_random_uuid(), $1, $2, 'Item ' || i, 'Number ' || i, '', '[]'::jsonb, now() - make_interval(mins => i)
         FROM generate_series(1, 30) AS i`,
        [user.id, TEMPLATE_CUSTOM_NOTIFICATION],
      );
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, user.api);
      await page.goto('/notifications');
      const items = page.locator('main').getByTestId('inbox-item');
      await items.nth(24).waitFor();
      await expect(items.count()).resolves.toBe(25);
      await items.nth(24).scrollIntoViewIfNeeded();
      await page.mouse.wheel(0, 2000);
      await items.nth(29).waitFor();
      await expect(items.last().textContent()).resolves.toContain('Number 30');
      expect(errors()).toEqual([]);
    });

    it('axe-core: no serious violations on the dashboard pages (inbox, settings, workspaces, templates, users, deployment) and the popover, light and dark', async () => {
      const user = await createUser(owner, [], { username: 'axel', name: 'Axel Member' });
      await seed(user.id);
      // One page per user and path, checked in the light and then the dark theme: switching the
      // emulated color scheme restyles the same markup, so each page loads and settles once, not twice.
      for (const who of [user.api, owner]) {
        const { page, context } = await browser.page(server.url);
        await useSession(context, server.url, who);
        const check = async (what: string, shot?: string) => {
          for (const colorScheme of ['light', 'dark'] as const) {
            await themed(page, colorScheme);
            expect(await axeViolations(page), `${colorScheme} ${what}`).toEqual([]);
            if (shots && who === user.api && shot) await screenshot(page, `${shot}-${colorScheme}`);
          }
        };
        const paths = ['/', '/notifications', '/settings/notifications', '/workspaces', '/templates', ...(who === owner ? ['/deployment/notifications', '/deployment/users'] : [])];
        for (const path of paths) {
          await page.goto(path);
          await page.getByRole('button', { name: 'Sign out' }).waitFor();
          await page.waitForLoadState('networkidle');
          await check(path, { '/notifications': 'notifications-page', '/settings/notifications': 'settings-channel-grid' }[path]);
        }
        await bell(page).click();
        await dialogOf(page).locator('.inbox-empty, .inbox-list').first().waitFor();
        await check('popover', 'inbox-popover');
        await context.close();
      }
    });
  });
});
