// Browser push in real Chromium: "Enable browser notifications" registers Herald's service worker,
// subscribes with the server's VAPID key and posts the subscription; Herald pushes to it; the
// service worker shows the notification (and opens its first action on click).
//
// What is real and what is stood in:
// - Real: the dashboard page and its button, the notification permission (granted to the context),
//   the service worker served at /sw.js and its registration, Herald's subscribe/test/unsubscribe
//   routes, Herald's Web Push request (VAPID JWT + aes128gcm payload) sent to a local push receiver,
//   the receiver's decryption of that payload with the subscription's keys (RFC 8291), and the push
//   event in the real service worker, which draws a real notification (registration.getNotifications()).
// - Stood in: headless Chromium has no push service (pushManager.subscribe answers "Registration
//   failed"), so in this test only PushManager.prototype.subscribe/getSubscription return a
//   subscription whose endpoint is the local push receiver and whose keys the test generated (it holds
//   the private half to decrypt, as a browser does). The decrypted payload is handed to the service
//   worker with the DevTools protocol (ServiceWorker.deliverPushMessage), as the push service would.
// - Not covered: the click itself (a headless browser has no notification to click, and openWindow
//   needs a real click); the worker's click-target choice is checked by calling it in the worker.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CDPSession, Worker } from 'playwright-core';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink, type SinkRequest } from '../support/http-sink.js';
import { waitFor } from '../support/wait.js';
import { browserKeys, decryptPush, verifyVapid, type BrowserKeys } from '../support/push-receiver.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { ensureDashboardBuilt, hasChromium, takeScreenshots, useSession, sharedBrowser } from './browser.js';
import { renderPushNotification } from './message-renderer.js';

export interface ShownNotification {
  title: string;
  body: string;
  icon: string;
  tag: string;
  data: { url: string; actions: { label: string; url: string }[]; msg_id: string };
  actions: { action: string; title: string }[];
}

describe.skipIf(!hasChromium)('dashboard: browser push', () => {
  const browser = sharedBrowser();

  describeEachEngine('in Chromium', (engine) => {
    let server: TestServer;
    let receiver: HttpSink;
    let owner: ApiHelper;
    let ownerId: string;
    let keys: BrowserKeys;
    let endpoint: string;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-push-web-'));

    beforeAll(async () => {
      await ensureDashboardBuilt();
      receiver = await startHttpSink({ respond: { status: 201 } });
      endpoint = `${receiver.url}/push/send/browser-1`;
      server = await startTestServer(engine, {
        config: { dataDir, notifications: { webpush: { allowInsecureEndpoints: true }, fetchInterval: 100 } },
      });
      ({ api: owner, userId: ownerId } = await setupOwner(server.api));
      keys = browserKeys();
      // The troubleshooting notification goes by browser push (and carries an action to open).
      expect((await owner.put(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`, { method: 'webpush' })).status).toBe(200);
    }, 120_000);
    afterAll(async () => {
      await browser?.closePages();
      await server?.stop();
      await receiver?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** The push receiver's view of one push: VAPID checked, payload decrypted with the browser keys. */
    function open(req: SinkRequest): string {
      expect(req.path).toBe('/push/send/browser-1');
      verifyVapid(req.headers, endpoint);
      expect(req.headers['content-encoding']).toBe('aes128gcm');
      return decryptPush(req.rawBody, keys);
    }

    async function registrationId(cdp: CDPSession, origin: string): Promise<string> {
      const seen: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
      cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: typeof seen }) => seen.push(...e.registrations));
      await cdp.send('ServiceWorker.enable');
      const reg = await waitFor(async () => seen.find((r) => r.scopeURL === `${origin}/` && !r.isDeleted));
      return reg.registrationId;
    }

    const notifications = (sw: Worker) => sw.evaluate(async () => (await (self as any).registration.getNotifications()).map((n: any) => ({ title: n.title, body: n.body, icon: n.icon, tag: n.tag, data: n.data, actions: n.actions })) as ShownNotification[]);

    it('enables browser notifications, receives a push while hidden, none while the dashboard is visible, and disables', async () => {
      const { page, context, errors } = await browser.page(server.url);
      const origin = new URL(server.url).origin;
      await context.grantPermissions(['notifications'], { origin });
      await useSession(context, server.url, owner);
      // The stand-in for the push service (see the comment at the top): subscribe answers a
      // subscription to the local receiver with the test's keys, and records the key it was given.
      await page.addInitScript(
        ({ endpoint, p256dh, auth }) => {
          if (!location.protocol.startsWith('http')) return; // about:blank
          const w = window as any;
          // Kept across page loads of the origin, as a browser keeps its subscription.
          const store = window.localStorage;
          w.__push = { subscribed: null as null | number[], unsubscribed: () => Number(store.getItem('__push_unsubscribed') ?? 0) };
          let current: any = null;
          const make = () => ({
            endpoint,
            expirationTime: null,
            options: { userVisibleOnly: true },
            toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
            getKey: () => null,
            unsubscribe: async () => {
              current = null;
              store.removeItem('__push_subscribed');
              store.setItem('__push_unsubscribed', String(w.__push.unsubscribed() + 1));
              return true;
            },
          });
          if (store.getItem('__push_subscribed')) current = make();
          PushManager.prototype.subscribe = async function (opts?: PushSubscriptionOptionsInit) {
            w.__push.subscribed = Array.from(new Uint8Array(opts!.applicationServerKey as ArrayBuffer));
            current = make();
            store.setItem('__push_subscribed', '1');
            return current;
          };
          PushManager.prototype.getSubscription = async () => current;
        },
        { endpoint, p256dh: keys.p256dh, auth: keys.auth },
      );
      await page.goto('/settings/notifications');
      await page.getByRole('button', { name: 'Enable browser notifications' }).click();
      await page.getByText('Enabled in this browser').waitFor();

      // The real worker at the root scope, and the server's VAPID key given to subscribe.
      const script = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration('/'))?.active?.scriptURL);
      expect(script).toBe(`${origin}/sw.js`);
      const pk = (await owner.get('/notifications/webpush/public-key')).body.public_key as string;
      expect(Buffer.from(await page.evaluate(() => (window as any).__push.subscribed as number[])).toString('base64url')).toBe(pk);
      // Herald probed the subscription with an empty push before keeping it.
      const [probe] = await receiver.waitFor(1);
      expect(verifyVapid(probe.headers, endpoint).key).toBe(pk);
      const rows = await server.db.query('SELECT endpoint, endpoint_auth_key FROM webpush_subscriptions WHERE user_id = $1', [ownerId]);
      expect(rows.rows).toEqual([{ endpoint, endpoint_auth_key: keys.auth }]);

      const cdp = await context.newCDPSession(page);
      const regId = await registrationId(cdp, origin);
      const sw = context.serviceWorkers().find((w) => w.url() === `${origin}/sw.js`) ?? (await context.waitForEvent('serviceworker'));

      // "Send test push": Herald's push, decrypted by the receiver, delivered to the worker while
      // this tab is visible: no notification; the visible tab is told instead.
      receiver.reset();
      await page.getByRole('button', { name: 'Send test push' }).click();
      const test = JSON.parse(open((await receiver.waitFor(1))[0]));
      expect(test).toMatchObject({ title: "It's working!", body: "You've subscribed to push notifications." });
      expect(await page.evaluate(() => document.visibilityState)).toBe('visible');
      const told = page.evaluate(
        () => new Promise<string>((resolve) => navigator.serviceWorker.addEventListener('message', (e) => e.data?.type === 'herald:push' && resolve(e.data.notification.title))),
      );
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: `${origin}/`, registrationId: regId, data: JSON.stringify(test) });
      expect(await told).toBe("It's working!");
      expect(await notifications(sw)).toEqual([]);

      // A real notification (the troubleshooting one, by its template's method) while no Herald tab
      // is open: the worker shows it, and a click opens its first action.
      receiver.reset();
      expect((await owner.post('/notifications/test')).status).toBe(204);
      const plain = open((await receiver.waitFor(1, 15_000))[0]);
      const payload = JSON.parse(plain);
      expect(payload).toMatchObject({
        title: 'A test notification',
        body: 'This is a test notification.',
        // The test server's access URL is http://test.com.
        actions: [{ label: 'View notification settings', url: 'http://test.com/deployment/notifications?tab=settings' }],
        url: 'http://test.com/deployment/notifications?tab=settings',
      });
      await page.goto('about:blank');
      // A cross-site navigation commits before the old document is gone: until then the worker can
      // still see the dashboard as a visible window (and would rightly show nothing), so wait for the
      // worker's own view of the windows to drop it before the push arrives.
      await waitFor(() => sw.evaluate(async () => (await (self as any).clients.matchAll({ type: 'window', includeUncontrolled: true })).every((c: any) => c.visibilityState !== 'visible')), 15_000);
      await cdp.send('ServiceWorker.deliverPushMessage', { origin: `${origin}/`, registrationId: regId, data: plain });
      const [shown] = await waitFor(async () => {
        const n = await notifications(sw);
        return n.length ? n : undefined;
      }, 15_000);
      expect(shown).toMatchObject({
        title: 'A test notification',
        body: 'This is a test notification.',
        tag: payload.msg_id,
        data: { url: payload.url, actions: payload.actions, msg_id: payload.msg_id },
        actions: [{ action: '0', title: 'View notification settings' }],
      });
      expect(payload.msg_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await sw.evaluate((d) => (self as any).heraldClickTarget(d, ''), shown.data)).toBe(payload.actions[0].url);
      expect(await sw.evaluate((d) => (self as any).heraldClickTarget(d, '0'), shown.data)).toBe(payload.actions[0].url);
      // A script URL smuggled into a payload is never opened.
      expect(await sw.evaluate(() => (self as any).heraldClickTarget({ url: 'javascript:alert(1)', actions: [] }, ''))).toBe(`${origin}/notifications`);
      if (takeScreenshots) await renderPushNotification(browser, shown, origin, 'channel-webpush');

      // Disable: the server forgets the subscription and the browser unsubscribes.
      await page.goto('/settings/notifications');
      await page.getByRole('button', { name: 'Disable browser notifications' }).click();
      await page.getByRole('button', { name: 'Enable browser notifications' }).waitFor();
      expect((await server.db.query('SELECT 1 FROM webpush_subscriptions WHERE user_id = $1', [ownerId])).rows).toEqual([]);
      expect(await page.evaluate(() => (window as any).__push.unsubscribed())).toBe(1);
      expect(errors()).toEqual([]);
    });

    it('shows that notifications are blocked when the permission is denied', async () => {
      const { page, context, errors } = await browser.page(server.url);
      await useSession(context, server.url, owner);
      await page.addInitScript(() => {
        Object.defineProperty(Notification, 'permission', { get: () => 'default' });
        Notification.requestPermission = async () => 'denied';
      });
      await page.goto('/settings/notifications');
      await page.getByRole('button', { name: 'Enable browser notifications' }).click();
      await page.getByText('Notifications are blocked for this site').waitFor();
      expect(errors()).toEqual([]);
    });
  });
});

