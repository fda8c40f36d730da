// Destinations users own: verification before use, masking, sealed secrets, the admin's allow-lists,
// the SSRF guard (checked when added and at every connection) and 410 Gone → disabled + told.
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { waitFor } from '../support/wait.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { createDestinationService } from '../../src/notifications/destinations/service.js';
import { blockedReason } from '../../src/notifications/destinations/ssrf.js';
import { createSecretBox } from '../../src/lib/secrets.js';
import { silentLogger } from '../../src/lib/logger.js';

describe('the address guard', () => {
  it.each(['127.0.0.1', '127.8.9.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:169.254.169.254'])(
    'blocks %s',
    (a) => expect(blockedReason(a)).toMatch(/not a public address/),
  );
  it.each(['1.1.1.1', '8.8.8.8', '2606:4700:4700::1111', '172.32.0.1'])('lets %s through', (a) => expect(blockedReason(a)).toBeUndefined());
});

describeEachEngine('user destinations', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;
  const codeIn = (text: string) => /\*\*(\d{6})\*\*/.exec(text)?.[1];
  // The generated secrets key goes here, not into the working directory.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-dest-'));

  beforeAll(async () => {
    sink = await startHttpSink({ respond: { status: 204 } });
    server = await startTestServer(engine, {
      config: {
        dataDir,
        notifications: {
          userDestinations: { kinds: 'discord,webhook,ntfy', allowedHosts: '127.0.0.1', allowPrivateAddresses: true },
          fetchInterval: 200,
          maxSendAttempts: 1,
        },
      },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
    expect((await owner.put(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`, { method: 'destination' })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const lastMessage = (method = 'destination') =>
    waitFor(async () => {
      const r = await server.db.query<{ status: string; status_reason: string | null }>(
        `SELECT status::text AS status, status_reason FROM notification_messages WHERE user_id = $1 AND method::text = $2 ORDER BY created_at DESC LIMIT 1`,
        [ownerId, method],
      );
      const row = r.rows[0];
      return row && !['pending', 'leased'].includes(row.status) ? row : undefined;
    }, 10_000);

  let discordId = '';
  const discordUrl = () => `${sink.url}/api/webhooks/42/secret-token-abc`;

  it('is listed as a dispatch method when the admin allows kinds', async () => {
    expect((await owner.get('/notifications/dispatch-methods')).body.available).toContain('destination');
  });

  it('a new destination gets a code and is not used until verified', async () => {
    const r = await owner.post('/users/me/notifications/destinations', { kind: 'discord', name: 'my server', url: discordUrl() });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'discord', name: 'my server', status: 'unverified', url: `${sink.url}/…`, verified_at: null });
    expect(r.body.channel).toBe(`destination:${r.body.id}`);
    expect(JSON.stringify(r.body)).not.toContain('secret-token-abc');
    expect(r.body.secret).toBeUndefined();
    discordId = r.body.id;
    const [req] = await sink.waitFor(1);
    expect(req.path).toBe('/api/webhooks/42/secret-token-abc');
    const code = codeIn((req.json as any).embeds[0].description);
    expect(code).toMatch(/^\d{6}$/);

    // Not verified: a notification is not sent there.
    sink.reset();
    expect((await owner.post('/notifications/test')).status).toBe(204);
    expect(await lastMessage()).toEqual({ status: 'permanent_failure', status_reason: 'destination: the user has no active destination' });
    expect(sink.requests).toHaveLength(0);

    const wrong = await owner.post(`/users/me/notifications/destinations/${discordId}/verify`, { code: code === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.validations).toEqual([{ field: 'code', detail: 'does not match the code sent to the destination' }]);
    const ok = await owner.post(`/users/me/notifications/destinations/${discordId}/verify`, { code });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('active');

    expect((await owner.post('/notifications/test')).status).toBe(204);
    const [sent] = await sink.waitFor(1, 10_000);
    expect((sent.json as any).embeds[0].title).toBe('A test notification');
    expect((await lastMessage()).status).toBe('sent');
  });

  it('stores the URL sealed, never in clear', async () => {
    const rows = await server.db.query<{ url_sealed: string; url_display: string }>('SELECT url_sealed, url_display FROM user_destinations WHERE id = $1', [discordId]);
    expect(rows.rows[0].url_sealed).toMatch(/^v1:/);
    expect(rows.rows[0].url_sealed).not.toContain('secret-token');
    const list = await owner.get('/users/me/notifications/destinations');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain('secret-token');
  });

  it('a generic webhook is signed with its own secret, shown once', async () => {
    sink.reset();
    const r = await owner.post('/users/me/notifications/destinations', { kind: 'webhook', url: `${sink.url}/hooks/mine` });
    expect(r.status).toBe(201);
    const secret: string = r.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const [req] = await sink.waitFor(1);
    const id = String(req.headers['webhook-id']);
    const ts = String(req.headers['webhook-timestamp']);
    const mac = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${ts}.`).update(req.rawBody).digest('base64');
    expect(req.headers['webhook-signature']).toBe(`v1,${mac}`);
    expect(codeIn((req.json as any).body_markdown)).toMatch(/^\d{6}$/);
    const list = await owner.get('/users/me/notifications/destinations');
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(6, 20));
    const sealed = await server.db.query<{ secret_sealed: string }>('SELECT secret_sealed FROM user_destinations WHERE id = $1', [r.body.id]);
    expect(sealed.rows[0].secret_sealed).toMatch(/^v1:/);
    expect(sealed.rows[0].secret_sealed).not.toContain(secret.slice(6));
    expect((await owner.call('DELETE', `/users/me/notifications/destinations/${r.body.id}`)).status).toBe(204);
    expect((await owner.call('DELETE', `/users/me/notifications/destinations/${r.body.id}`)).status).toBe(404);
  });

  it('ntfy gets its JSON publish format on the server root with the topic', async () => {
    sink.reset();
    const r = await owner.post('/users/me/notifications/destinations', { kind: 'ntfy', url: `${sink.url}/mytopic` });
    expect(r.status).toBe(201);
    const [req] = await sink.waitFor(1);
    expect(req.path).toBe('/');
    expect(req.json).toMatchObject({ topic: 'mytopic', title: 'Confirm this notification destination', markdown: true });
    await owner.call('DELETE', `/users/me/notifications/destinations/${r.body.id}`);
  });

  it('refuses kinds the admin did not allow, hosts off the allow-list, and other users', async () => {
    const teams = await owner.post('/users/me/notifications/destinations', { kind: 'teams', url: `${sink.url}/x` });
    expect(teams.status).toBe(400);
    expect(teams.body.validations[0]).toEqual({ field: 'kind', detail: '"teams" is not allowed here; allowed: discord, webhook, ntfy' });
    const host = await owner.post('/users/me/notifications/destinations', { kind: 'webhook', url: 'http://example.com/x' });
    expect(host.status).toBe(400);
    expect(host.body.validations[0].detail).toBe('host example.com is not allowed for webhook destinations');
    const member = await createUser(owner);
    expect((await member.api.get(`/users/${ownerId}/notifications/destinations`)).status).toBe(403);
    expect((await member.api.post(`/users/${ownerId}/notifications/destinations`, { kind: 'discord', url: discordUrl() })).status).toBe(403);
  });

  it('a destination answering 410 is disabled and its owner is told in the inbox', async () => {
    sink.reset();
    sink.respondWith({ status: 410, body: JSON.stringify({ message: 'Unknown Webhook' }) });
    expect((await owner.post('/notifications/test')).status).toBe(204);
    const row = await lastMessage();
    expect(row.status).toBe('permanent_failure');
    expect(row.status_reason).toMatch(/HTTP 410/);
    const list = await owner.get('/users/me/notifications/destinations');
    const d = list.body.find((x: { id: string }) => x.id === discordId);
    expect(d.status).toBe('disabled');
    expect(d.disabled_reason).toMatch(/410/);
    const inbox = await waitFor(async () => {
      const r = await owner.get('/notifications/inbox');
      return r.body.notifications?.find((n: { title: string }) => n.title.startsWith('Notification destination disabled'));
    }, 10_000);
    expect(inbox.title).toBe('Notification destination disabled: my server');
    expect(inbox.content).toContain('no longer exists');
    // Disabled: nothing more is sent there.
    sink.reset();
    sink.respondWith({ status: 204 });
    await owner.post('/notifications/test');
    expect((await lastMessage()).status_reason).toBe('destination: the user has no active destination');
    expect(sink.requests).toHaveLength(0);
  });

  it('without the test flag refuses loopback, metadata, private and names that resolve to them — when added and at send time', async () => {
    const user = (await server.db.query('SELECT * FROM users WHERE id = $1', [ownerId])).rows[0] as never;
    const actor = { user: { id: ownerId }, roles: [] } as never;
    const make = (resolve?: (h: string) => Promise<string[]>) =>
      createDestinationService({
        db: server.db,
        log: silentLogger(),
        secrets: createSecretBox(Buffer.alloc(32, 1)),
        enqueuer: server.enqueuer,
        accessUrl: 'http://test.com',
        config: { kinds: 'webhook,slack', allowedHosts: '*', allowPrivateAddresses: false },
        resolve,
      });
    const svc = make();
    for (const url of [`https://127.0.0.1:${sink.port}/x`, 'https://169.254.169.254/latest/meta-data', 'https://10.0.0.5/x', 'https://[::1]/x', `https://localhost:${sink.port}/x`]) {
      await expect(svc.create(actor, user, { kind: 'webhook', url }), url).rejects.toMatchObject({
        validations: [{ field: 'url', detail: expect.stringMatching(/must not point at a private, loopback or link-local address/) }],
      });
    }
    await expect(svc.create(actor, user, { kind: 'webhook', url: `http://127.0.0.1:${sink.port}/x` })).rejects.toMatchObject({
      validations: [{ field: 'url', detail: 'must be an https URL' }],
    });
    // A name that looked public when added but resolves to loopback when connecting (DNS rebinding).
    const rebinding = make(async () => ['93.184.216.34']);
    sink.reset();
    await expect(rebinding.create(actor, user, { kind: 'webhook', url: `https://localhost:${sink.port}/x` })).rejects.toMatchObject({
      message: 'The destination did not accept the verification message.',
      detail: expect.stringMatching(/blocked address/),
    });
    expect(sink.requests).toHaveLength(0);
    svc.close();
    rebinding.close();
  });
});
