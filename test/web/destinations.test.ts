// The user's own destinations in the dashboard: add one (a code is sent there), enter the code,
// route a notification to it in the preferences grid, see it delivered at the listener, the generic
// webhook's secret shown once, masked URLs, and the disabled state after a 410. The real payloads the
// listeners received are drawn into docs/images/ (HERALD_SCREENSHOTS=1) for docs/admin/notifications.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink, type SinkRequest } from '../support/http-sink.js';
import { waitFor } from '../support/wait.js';
import { TEMPLATE_WORKSPACE_DELETED } from '../../src/notifications/templates/catalogue.js';
import { ensureDashboardBuilt, hasChromium, screenshot, SCREENSHOTS, takeScreenshots, useSession, sharedBrowser } from './browser.js';
import { renderDiscordMessage, renderSlackMessage, renderTeamsMessage } from './message-renderer.js';

const toastSays = (page: Page, text: string) => page.locator('.toast', { hasText: text }).first().waitFor();
const codeIn = (req: SinkRequest) => /\*(\d{6})\*/.exec(JSON.stringify(req.json))?.[1] ?? '';

describe.skipIf(!hasChromium)('dashboard: my destinations', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let sink: HttpSink;
    let owner: ApiHelper;
    let ownerId: string;
    let gone = false;
    const shots = engine === 'pglite';
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-dest-web-'));
    const at = (p: string) => sink.requests.filter((r) => r.path === p);

    beforeAll(async () => {
      await ensureDashboardBuilt();
      sink = await startHttpSink({
        respond: (req) => (req.path.startsWith('/gone/') && gone ? { status: 410, body: '{"message":"Unknown Webhook"}' } : req.path.startsWith('/services/') ? { status: 200, body: 'ok' } : { status: 204 }),
      });
      server = await startTestServer(engine, {
        config: {
          dataDir,
          notifications: {
            userDestinations: { kinds: 'slack,teams,discord,webhook,ntfy', allowedHosts: '127.0.0.1', allowPrivateAddresses: true },
            fetchInterval: 100,
            maxSendAttempts: 1,
          },
        },
      });
      ({ api: owner, userId: ownerId } = await setupOwner(server.api));
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
      await sink?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** Adds and verifies a destination through the API (the form has its own test below). */
    async function addByApi(kind: string, url: string, name = ''): Promise<string> {
      const before = sink.requests.length;
      const r = await owner.post('/users/me/notifications/destinations', { kind, url, name });
      expect(r.status).toBe(201);
      await waitFor(() => sink.requests.length > before);
      const code = codeIn(sink.requests[sink.requests.length - 1]);
      expect((await owner.post(`/users/me/notifications/destinations/${r.body.id}/verify`, { code })).status).toBe(200);
      return r.body.id;
    }

    it('adds a Slack destination, verifies it with the code, routes a notification to it and it arrives', async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      await page.goto('/settings/notifications');
      const card = page.locator('section', { has: page.getByRole('heading', { name: 'My destinations' }) });
      await card.getByText('No destinations yet.').waitFor();
      expect(await card.getByLabel('Kind').locator('option').allTextContents()).toEqual(['Slack', 'Microsoft Teams', 'Discord', 'Webhook', 'ntfy']);

      await card.getByLabel('Name (optional)').fill('team alerts');
      await card.getByLabel('URL').fill(`${sink.url}/services/T1/B1/secret-path`);
      await card.getByRole('button', { name: 'Add and send code' }).click();
      await toastSays(page, 'Destination added');
      const [verification] = await waitFor(async () => (at('/services/T1/B1/secret-path').length ? at('/services/T1/B1/secret-path') : undefined));
      const code = codeIn(verification);
      expect(code).toMatch(/^\d{6}$/);
      const item = card.locator('li.destination');
      await item.getByText('Waiting for its code').waitFor();
      // Masked: scheme and host only; the path is the credential.
      expect(await item.locator('code').textContent()).toBe(`${sink.url}/…`);
      expect(await page.content()).not.toContain('secret-path');
      await item.getByLabel('Code sent to team alerts').fill(code);
      await item.getByRole('button', { name: 'Verify' }).click();
      await toastSays(page, 'Destination verified');
      await item.getByText(/^Active/).waitFor();

      // The grid has a column for it, off by default; switch Workspace Deleted on there.
      const head = page.locator('.pref-channel-head', { hasText: 'team alerts (Slack)' }).first();
      await head.waitFor();
      const box = page.getByRole('checkbox', { name: 'Workspace Deleted via team alerts (Slack)' });
      expect(await box.isChecked()).toBe(false);
      // Controlled: the box shows the saved state once the server answered.
      await box.click();
      await toastSays(page, 'Notification preferences updated');
      await expect.poll(() => box.isChecked()).toBe(true);
      const before = at('/services/T1/B1/secret-path').length;
      await server.enqueuer.enqueueMany([
        { userId: ownerId, templateId: TEMPLATE_WORKSPACE_DELETED, labels: { name: 'bobby-workspace', reason: 'autodeleted due to dormancy', initiator: 'autobuild' }, createdBy: 'test' },
      ]);
      const slackMsg = await waitFor(async () => at('/services/T1/B1/secret-path')[before], 10_000);
      const body = slackMsg.json as { text: string; blocks: { type: string }[] };
      expect(body.text).toBe('Workspace "bobby-workspace" deleted');
      expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'actions']);
      if (shots) {
        // Without the toasts over the form.
        const dismiss = page.locator('.toast').getByRole('button', { name: 'Dismiss' });
        while ((await dismiss.count()) > 0) await dismiss.first().click();
        await screenshot(page, 'settings-destinations');
        if (takeScreenshots) await page.locator('section.pref-group', { hasText: 'Workspace Events' }).screenshot({ path: path.join(SCREENSHOTS, 'settings-destination-grid.png') });
        if (takeScreenshots) await renderSlackMessage(browser, server.url, body, 'channel-slack');
      }
      expect(errors()).toEqual([]);
    });

    it('Teams and Discord destinations get the same notification as an Adaptive Card and an embed', async () => {
      const teams = await addByApi('teams', `${sink.url}/workflows/teams-1/triggers/manual/paths/invoke`, 'ops channel');
      const discord = await addByApi('discord', `${sink.url}/api/webhooks/1/discord-token`, 'dev server');
      expect(
        (await owner.put('/users/me/notifications/preferences/channels', {
          template_channels: { [TEMPLATE_WORKSPACE_DELETED]: { [`destination:${teams}`]: true, [`destination:${discord}`]: true } },
        })).status,
      ).toBe(200);
      const n = sink.requests.length;
      // Another workspace: the same notification twice in a day would be a duplicate (not sent again).
      await server.enqueuer.enqueueMany([
        { userId: ownerId, templateId: TEMPLATE_WORKSPACE_DELETED, labels: { name: 'alice-workspace', reason: 'autodeleted due to dormancy', initiator: 'autobuild' }, createdBy: 'test' },
      ]);
      const [t, d] = await waitFor(async () => {
        const reqs = sink.requests.slice(n);
        const tr = reqs.find((r) => r.path.startsWith('/workflows/'));
        const dr = reqs.find((r) => r.path.startsWith('/api/webhooks/'));
        return tr && dr ? [tr, dr] : undefined;
      }, 10_000);
      const card = (t.json as { attachments: { contentType: string; content: { version: string } }[] }).attachments[0];
      expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
      const embed = (d.json as { embeds: { title: string; description: string }[] }).embeds[0];
      expect(embed.title).toBe('Workspace "alice-workspace" deleted');
      if (shots && takeScreenshots) {
        await renderTeamsMessage(browser, server.url, t.json, 'channel-teams');
        await renderDiscordMessage(browser, server.url, d.json, 'channel-discord');
      }
    });

    it('a generic webhook shows its secret once; a destination answering 410 shows as disabled with the reason', async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      await page.goto('/settings/notifications');
      const card = page.locator('section', { has: page.getByRole('heading', { name: 'My destinations' }) });
      await card.getByLabel('Kind').selectOption('webhook');
      await card.getByLabel('URL').fill(`${sink.url}/hooks/mine`);
      await card.getByRole('button', { name: 'Add and send code' }).click();
      const secret = await card.locator('code.secret').textContent();
      expect(secret).toMatch(/^whsec_/);
      await page.reload();
      await card.locator('li.destination').first().waitFor();
      expect(await page.content()).not.toContain(secret!);

      // A Discord destination that later answers 410 Gone.
      const id = await addByApi('discord', `${sink.url}/gone/api/webhooks/2/t`, 'old server');
      gone = true;
      await owner.put('/users/me/notifications/preferences/channels', { template_channels: { [TEMPLATE_WORKSPACE_DELETED]: { [`destination:${id}`]: true } } });
      await server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_WORKSPACE_DELETED, labels: { name: 'ws-2', reason: 'r', initiator: 'i' }, createdBy: 'test' }]);
      await waitFor(async () => ((await owner.get('/users/me/notifications/destinations')).body.find((x: { id: string }) => x.id === id)?.status === 'disabled' ? true : undefined), 10_000);
      await page.reload();
      const item = card.locator(`li[data-destination-id="${id}"]`);
      await item.getByText('Disabled', { exact: true }).waitFor();
      expect(await item.locator('.alert-warning').textContent()).toMatch(/Herald stopped sending here: .*HTTP 410/);
      // No longer a column of the grid.
      expect(await page.locator('.pref-channel-head', { hasText: 'old server' }).count()).toBe(0);
      await item.getByRole('button', { name: 'Delete old server' }).click();
      await toastSays(page, 'Destination deleted');
      await item.waitFor({ state: 'detached' });
      expect(errors()).toEqual([]);
    });
  });
});
