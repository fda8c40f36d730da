// Browser push end to end: a subscription made with a browser's keys, a local push receiver that
// decrypts each payload with those keys (RFC 8291) and verifies the VAPID JWT (RFC 8292).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { waitFor } from '../support/wait.js';
import { browserKeys, decryptPush, verifyVapid, type BrowserKeys } from '../support/push-receiver.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { createWebPushService } from '../../src/notifications/webpush/service.js';
import { createSecretBox } from '../../src/lib/secrets.js';
import { silentLogger } from '../../src/lib/logger.js';
import webpush from 'web-push';

describeEachEngine('browser push', (engine) => {
  let server: TestServer;
  let push: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;
  let keys: BrowserKeys;
  let endpoint: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-webpush-'));

  beforeAll(async () => {
    push = await startHttpSink({ respond: { status: 201 } });
    endpoint = `${push.url}/push/v2/abc123`;
    server = await startTestServer(engine, {
      config: {
        dataDir: dir,
        notifications: { webpush: { allowInsecureEndpoints: true }, fetchInterval: 200 },
      },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
    keys = browserKeys();
  });
  afterAll(async () => {
    await server?.stop();
    await push?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const subs = async () =>
    (await server.db.query<{ endpoint: string }>('SELECT endpoint FROM webpush_subscriptions WHERE user_id = $1', [ownerId])).rows;

  it('subscribes after a test push that carries a valid VAPID JWT; the private key is stored sealed', async () => {
    const pk = await owner.get('/notifications/webpush/public-key');
    expect(pk.status).toBe(200);
    expect(Buffer.from(pk.body.public_key, 'base64url')).toHaveLength(65);
    const r = await owner.post(`/users/me/webpush/subscription`, { endpoint, auth_key: keys.auth, p256dh_key: keys.p256dh });
    expect(r.status).toBe(204);
    const [probe] = await push.waitFor(1);
    expect(probe.path).toBe('/push/v2/abc123');
    expect(probe.headers.ttl).toBe('86400');
    expect(verifyVapid(probe.headers, endpoint).key).toBe(pk.body.public_key);
    expect(await subs()).toEqual([{ endpoint }]);
    const stored = await server.db.query<{ key: string; value: string }>(`SELECT key, value FROM site_configs WHERE key LIKE 'webpush_vapid_%' ORDER BY key`);
    expect(stored.rows.map((x) => x.key)).toEqual(['webpush_vapid_private_key', 'webpush_vapid_public_key']);
    expect(stored.rows[0].value).toMatch(/^v1:/);
    // The key that sealed it was generated into the data dir, readable by its owner only.
    expect(fs.statSync(path.join(dir, 'secrets.key')).mode & 0o077).toBe(0);
  });

  it('POST /webpush/test sends an encrypted payload the browser keys decrypt', async () => {
    push.reset();
    expect((await owner.post('/users/me/webpush/test')).status).toBe(204);
    const [req] = await push.waitFor(1);
    expect(req.headers['content-encoding']).toBe('aes128gcm');
    expect(req.headers['content-type']).toBe('application/octet-stream');
    verifyVapid(req.headers, endpoint);
    const payload = JSON.parse(decryptPush(req.rawBody, keys));
    expect(payload).toMatchObject({ title: "It's working!", body: "You've subscribed to push notifications." });
  });

  it('delivers a notification whose template uses webpush; the push opens the first action', async () => {
    push.reset();
    expect((await owner.put(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`, { method: 'webpush' })).status).toBe(200);
    expect((await owner.post('/notifications/test')).status).toBe(204);
    const [req] = await push.waitFor(1, 10_000);
    const payload = JSON.parse(decryptPush(req.rawBody, keys));
    expect(payload.title).toBe('A test notification');
    expect(payload.body).toBe('This is a test notification.');
    expect(payload.url).toBe(payload.actions[0].url);
    expect(payload.url).toMatch(/^http:\/\/test\.com\//);
  });

  it('a subscription answering 410 is removed and the message fails permanently', async () => {
    push.reset();
    push.respondWith({ status: 410 });
    expect((await owner.post('/notifications/test')).status).toBe(204);
    await push.waitFor(1, 10_000);
    await waitFor(async () => (await subs()).length === 0, 10_000);
    const row = await waitFor(async () => {
      const r = await server.db.query<{ status: string; status_reason: string }>(
        `SELECT status::text AS status, status_reason FROM notification_messages WHERE user_id = $1 AND method::text = 'webpush' ORDER BY created_at DESC LIMIT 1`,
        [ownerId],
      );
      return r.rows[0]?.status === 'permanent_failure' ? r.rows[0] : undefined;
    }, 10_000);
    expect(row.status_reason).toMatch(/expired/);
    push.respondWith({ status: 201 });
  });

  it('refuses non-https endpoints, bad keys, another user\'s subscriptions; DELETE answers 404 when absent', async () => {
    const bad = await owner.post('/users/me/webpush/subscription', { endpoint: 'http://push.example.com/x', auth_key: 'AAAA', p256dh_key: keys.p256dh });
    expect(bad.status).toBe(400);
    expect(bad.body.validations).toEqual([
      { field: 'endpoint', detail: 'must be an https URL' },
      { field: 'auth_key', detail: 'must be a 16-byte authentication secret (base64url)' },
    ]);
    const member = await createUser(owner);
    const other = await member.api.post(`/users/${ownerId}/webpush/subscription`, { endpoint, auth_key: keys.auth, p256dh_key: keys.p256dh });
    expect([403, 404]).toContain(other.status);
    expect((await owner.post('/users/me/webpush/subscription', { endpoint, auth_key: keys.auth, p256dh_key: keys.p256dh })).status).toBe(204);
    expect((await owner.call('DELETE', '/users/me/webpush/subscription', { endpoint })).status).toBe(204);
    const again = await owner.call('DELETE', '/users/me/webpush/subscription', { endpoint });
    expect(again.status).toBe(404);
    expect(again.body.message).toBe('Webpush subscription not found.');
  });

  it('without the dev flag, http://127.0.0.1 is refused, and an https endpoint inside the network is refused at send time', async () => {
    const svc = createWebPushService({
      db: server.db,
      log: silentLogger(),
      secrets: createSecretBox(Buffer.alloc(32, 7)),
      accessUrl: 'https://herald.example.com',
      config: (({ publicKey, privateKey }) => ({ vapidPublicKey: publicKey, vapidPrivateKey: privateKey, subject: '', allowInsecureEndpoints: false }))(webpush.generateVAPIDKeys()),
    });
    const me = { id: ownerId } as never;
    const actor = { user: { id: ownerId }, roles: [] } as never;
    await expect(svc.subscribe(actor, me, { endpoint, auth_key: keys.auth, p256dh_key: keys.p256dh })).rejects.toMatchObject({
      validations: [{ field: 'endpoint', detail: 'must be an https URL' }],
    });
    for (const host of ['127.0.0.1', '169.254.169.254', '10.1.2.3', '[::1]']) {
      await expect(svc.subscribe(actor, me, { endpoint: `https://${host}/push`, auth_key: keys.auth, p256dh_key: keys.p256dh })).rejects.toMatchObject({
        message: 'Failed to test webpush subscription',
        detail: expect.stringMatching(/blocked address/),
      });
    }
    svc.close();
  });
});
