import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { OWNER, startTestServer, type TestServer } from '../support/server.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';
import { ensureDashboardBuilt, hasChromium, screenshot, signIn, sharedBrowser } from './browser.js';

describe.skipIf(!hasChromium)('dashboard: sign-in, first-user setup and password reset', () => {
  const browser = sharedBrowser();

  describeEachEngine('in a browser', (engine) => {
    let server: TestServer;
    let sink: SmtpSink;
    const shots = engine === 'pglite';

    // Generous: a cold embedded database takes a while to migrate on a busy machine.
    beforeAll(async () => {
      await ensureDashboardBuilt();
      sink = await startSmtpSink();
      server = await startTestServer(engine, {
        config: { email: { smarthost: sink.smarthost, from: 'herald@example.com', hello: 'localhost' } },
      });
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
      await sink?.close();
    });

    it('creates the first user on the setup page, signs out, and signs in again', async () => {
      const { page, errors } = await browser.page(server.url);
      await page.goto('/settings/notifications');
      await page.waitForURL('**/setup');
      await page.getByLabel('Email').fill(OWNER.email);
      await page.getByLabel('Username').fill(OWNER.username);
      await page.getByLabel('Full name').fill(OWNER.name);
      await page.getByLabel('Password').fill(OWNER.password);
      if (shots) await screenshot(page, 'setup');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: `Welcome, ${OWNER.name}` }).waitFor();
      const me = await page.evaluate(async () => (await fetch('/api/v2/users/me')).json());
      expect(me.roles.map((r: { name: string }) => r.name)).toEqual(['owner']);
      if (shots) await screenshot(page, 'home');

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL('**/login**');
      await page.getByLabel('Email').fill(OWNER.email);
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toContain('Incorrect email or password.');
      if (shots) await screenshot(page, 'login');
      // A signed-out visit to a page comes back to it after signing in.
      await page.goto('/deployment/notifications?tab=settings');
      await page.waitForURL('**/login?redirect=**');
      await page.getByLabel('Email').fill(OWNER.email);
      await page.getByLabel('Password').fill(OWNER.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/deployment/notifications?tab=settings');
      await page.getByRole('heading', { name: 'Notification configuration' }).waitFor();
      expect(errors().filter((e) => !e.includes('/api/v2/users/login'))).toEqual([]);
    });

    it('resets a forgotten password with the link from the e-mail', async () => {
      const { page, errors } = await browser.page(server.url);
      await page.goto('/login');
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await page.waitForURL('**/reset-password');
      await page.getByLabel('Email').fill(OWNER.email);
      await page.getByRole('button', { name: 'Reset password' }).click();
      await page.getByText('we sent it an e-mail').waitFor();
      if (shots) await screenshot(page, 'reset-password');

      const [mail] = await sink.waitFor(1, 10_000);
      expect(mail.to).toEqual([OWNER.email]);
      const link = /http:\/\/test\.com(\/reset-password\/change\?[^\s)\]"]+)/.exec(mail.text)?.[1];
      expect(link, mail.text).toBeDefined();
      await page.goto(link!.replace(/&amp;/g, '&'));
      await page.getByText(`Resetting the password of ${OWNER.email}`).waitFor();
      const newPassword = 'Br4nd-New-Passw0rd!';
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('Confirm new password').fill(newPassword);
      if (shots) await screenshot(page, 'reset-password-change');
      await page.getByLabel('Confirm new password').fill('something-else');
      await page.getByRole('button', { name: 'Reset password' }).click();
      await page.getByText('The passwords do not match.').waitFor();
      await page.getByLabel('Confirm new password').fill(newPassword);
      await page.getByRole('button', { name: 'Reset password' }).click();
      await page.waitForURL('**/login');
      await page.getByText('Password reset successfully').waitFor();

      // The old password no longer works; the new one does.
      expect((await server.api.post('/users/login', { email: OWNER.email, password: OWNER.password })).status).toBe(401);
      await signIn(page, OWNER.email, newPassword);
      await page.getByRole('heading', { name: `Welcome, ${OWNER.name}` }).waitFor();
      expect(errors()).toEqual([]);
    });
  });
});
