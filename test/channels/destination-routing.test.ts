// Per-template routing to the destinations users own: the preferences grid has a cell per active
// destination; a template switched on for destination X reaches X's listener, one switched off (or
// never switched on) does not, and nothing is even enqueued for a template routed nowhere.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { waitFor } from '../support/wait.js';
import { TEMPLATE_CUSTOM_NOTIFICATION, TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE, TEMPLATE_WORKSPACE_DELETED } from '../../src/notifications/templates/catalogue.js';

describeEachEngine('routing templates to user destinations', (engine) => {
  let server: TestServer;
  let slack: HttpSink;
  let discord: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;
  let slackId = '';
  let discordId = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-routes-'));

  async function addVerified(sink: HttpSink, kind: 'slack' | 'discord', url: string, name: string): Promise<string> {
    sink.reset();
    const r = await owner.post('/users/me/notifications/destinations', { kind, name, url });
    expect(r.status).toBe(201);
    const [req] = await sink.waitFor(1);
    const text = JSON.stringify(req.json);
    const code = /\*?\*?(\d{6})\*?\*?/.exec(text)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect((await owner.post(`/users/me/notifications/destinations/${r.body.id}/verify`, { code })).status).toBe(200);
    sink.reset();
    return r.body.id;
  }

  const destinationRows = () =>
    server.db.query<{ template: string; status: string }>(
      `SELECT notification_template_id::text AS template, status::text AS status FROM notification_messages WHERE user_id = $1 AND method::text = 'destination' ORDER BY created_at`,
      [ownerId],
    );

  beforeAll(async () => {
    [slack, discord] = await Promise.all([startHttpSink({ respond: { status: 200, body: 'ok' } }), startHttpSink({ respond: { status: 204 } })]);
    server = await startTestServer(engine, {
      config: {
        dataDir,
        notifications: {
          userDestinations: { kinds: 'slack,discord', allowedHosts: '127.0.0.1', allowPrivateAddresses: true },
          fetchInterval: 100,
          maxSendAttempts: 1,
        },
      },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
    slackId = await addVerified(slack, 'slack', `${slack.url}/services/T1/B1/tok`, 'team');
    discordId = await addVerified(discord, 'discord', `${discord.url}/api/webhooks/1/tok`, '');
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([slack?.close(), discord?.close()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the grid has a cell per active destination, off by default for templates not routed by the admin', async () => {
    const r = await owner.get('/users/me/notifications/preferences/channels');
    expect(r.status).toBe(200);
    const own = r.body.channels.filter((c: { method: string }) => c.method.startsWith('destination:'));
    expect(own).toEqual([
      { method: `destination:${slackId}`, label: 'team (Slack)', kind: 'slack' },
      { method: `destination:${discordId}`, label: 'My Discord', kind: 'discord' },
    ]);
    const custom = r.body.templates.find((t: { id: string }) => t.id === TEMPLATE_CUSTOM_NOTIFICATION);
    expect(custom.available).toEqual(expect.arrayContaining(['inbox', `destination:${slackId}`, `destination:${discordId}`]));
    expect(custom.channels[`destination:${slackId}`]).toBe(false);
    // A one-time passcode never goes to a chat destination.
    const otp = r.body.templates.find((t: { id: string }) => t.id === TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE);
    expect(otp.available.some((m: string) => m.startsWith('destination:'))).toBe(false);
    // Not routed anywhere yet: a custom notification enqueues no destination message.
    expect((await owner.post('/notifications/custom', { content: { title: 'Before', message: 'nothing routed' } })).status).toBe(204);
    expect((await destinationRows()).rows).toEqual([]);
  });

  it('a template switched on for Slack is delivered at the Slack listener and not at Discord', async () => {
    const put = await owner.put('/users/me/notifications/preferences/channels', {
      template_channels: { [TEMPLATE_CUSTOM_NOTIFICATION]: { [`destination:${slackId}`]: true, [`destination:${discordId}`]: false } },
    });
    expect(put.status).toBe(200);
    const custom = put.body.templates.find((t: { id: string }) => t.id === TEMPLATE_CUSTOM_NOTIFICATION);
    expect(custom.channels).toMatchObject({ [`destination:${slackId}`]: true, [`destination:${discordId}`]: false, inbox: true });

    expect((await owner.post('/notifications/custom', { content: { title: 'Deploy finished', message: 'All **green**.' } })).status).toBe(204);
    const [req] = await slack.waitFor(1, 10_000);
    expect(req.path).toBe('/services/T1/B1/tok');
    expect((req.json as { text: string }).text).toBe('Deploy finished');
    await waitFor(async () => ((await destinationRows()).rows.some((x) => x.status === 'sent') ? true : undefined), 10_000);
    expect(discord.requests).toHaveLength(0);
  });

  it('another template routed to Discord only goes there; turning a route off stops it', async () => {
    slack.reset();
    const put = await owner.put('/users/me/notifications/preferences/channels', {
      template_channels: {
        [TEMPLATE_WORKSPACE_DELETED]: { [`destination:${discordId}`]: true },
        [TEMPLATE_CUSTOM_NOTIFICATION]: { [`destination:${slackId}`]: false },
      },
    });
    expect(put.status).toBe(200);
    await server.enqueuer.enqueueMany([
      { userId: ownerId, templateId: TEMPLATE_WORKSPACE_DELETED, labels: { name: 'ws-1', reason: 'a test', initiator: 'admin' }, createdBy: 'test' },
    ]);
    const [req] = await discord.waitFor(1, 10_000);
    expect((req.json as { embeds: { title: string }[] }).embeds[0].title).toContain('ws-1');

    const before = (await destinationRows()).rows.length;
    expect((await owner.post('/notifications/custom', { content: { title: 'After', message: 'routed nowhere' } })).status).toBe(204);
    // Switched off everywhere: no destination message is enqueued for it, and Slack gets nothing.
    const rows = await waitFor(async () => {
      const r = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE user_id = $1 AND method::text = 'inbox' AND payload->'labels'->>'custom_title' = 'After'`, [ownerId]);
      return r.rows[0].n > 0 ? (await destinationRows()).rows : undefined;
    });
    expect(rows.length).toBe(before);
    expect(slack.requests).toHaveLength(0);
  });

  it('refuses a destination that is not the user’s and a deleted destination takes its routes with it', async () => {
    const bad = await owner.put('/users/me/notifications/preferences/channels', {
      template_channels: { [TEMPLATE_CUSTOM_NOTIFICATION]: { 'destination:00000000-0000-4000-8000-000000000000': true } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.validations[0].field).toBe(`template_channels.${TEMPLATE_CUSTOM_NOTIFICATION}.destination:00000000-0000-4000-8000-000000000000`);
    expect((await owner.call('DELETE', `/users/me/notifications/destinations/${discordId}`)).status).toBe(204);
    const left = await server.db.query('SELECT 1 FROM notification_destination_routes WHERE destination_id = $1', [discordId]);
    expect(left.rows).toEqual([]);
    const r = await owner.get('/users/me/notifications/preferences/channels');
    expect(r.body.channels.map((c: { method: string }) => c.method)).not.toContain(`destination:${discordId}`);
  });
});
