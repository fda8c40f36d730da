// Critical notifications in the dashboard (issue 17 item 4), and the lists' empty states on an empty deployment: the password-reset code's switch is
// locked ("Required"), the group switch leaves it on, an old "stop receiving" link for it is refused
// with a message, and nothing is stored.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE as OTP } from '../../src/notifications/templates/catalogue.js';
import { ensureDashboardBuilt, hasChromium, useSession, sharedBrowser } from './browser.js';

describe.skipIf(!hasChromium)('dashboard: critical notifications', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let owner: ApiHelper;
    beforeAll(async () => {
      await ensureDashboardBuilt();
      server = await startTestServer(engine);
      owner = (await setupOwner(server.api)).api;
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
    });

    it('the password-reset switch is locked on, and an old disable link is refused', { timeout: 60_000 }, async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      await page.goto(`/settings/notifications?disabled=${OTP}`);
      await page.getByRole('status').getByText('“One-Time Passcode” is a critical notification and cannot be turned off.').waitFor();
      const otp = page.getByRole('switch', { name: 'One-Time Passcode', exact: true });
      await otp.waitFor();
      await expect(otp.isDisabled()).resolves.toBe(true);
      await expect(otp.getAttribute('aria-checked')).resolves.toBe('true');
      await page.locator(`[data-template-id="${OTP}"]`).getByText('Required').waitFor();
      // Turning the whole group off leaves it on.
      await page.getByRole('switch', { name: 'All User Events' }).click();
      await page.getByText('Notification preferences updated').waitFor();
      await expect(otp.getAttribute('aria-checked')).resolves.toBe('true');
      const prefs = (await owner.get('/users/me/notifications/preferences')).body as { id: string; disabled: boolean }[];
      expect(prefs.find((p) => p.id === OTP)).toBeUndefined();
      expect(prefs.length).toBeGreaterThan(0);
      expect(errors()).toEqual([]);
    });

    it('an empty deployment shows the empty states of the lists', { timeout: 60_000 }, async () => {
      const { page, context } = await browser.page(server.url, { width: 375, height: 740 });
      await useSession(context, server.url, owner);
      for (const [path, text] of [['/workspaces', 'No workspaces yet.'], ['/templates', 'No templates yet.'], ['/workspaces?filter=owner:me', 'No workspaces yet.']]) {
        await page.goto(path);
        await page.locator('.state-empty', { hasText: text }).waitFor();
      }
    });

    it('without e-mail the reset page says so (the same for any address)', { timeout: 60_000 }, async () => {
      for (const email of ['admin@example.com', 'nobody@example.com']) {
        const { page } = await browser.page(server.url);
        await page.goto('/reset-password');
        await page.getByLabel('Email').fill(email);
        await page.getByRole('button', { name: 'Reset password' }).click();
        await page.getByText('Password reset e-mails cannot be sent: e-mail is not configured on this deployment.', { exact: false }).waitFor();
        expect(await page.getByText('we sent it an e-mail').count()).toBe(0);
      }
    });
  });
});
