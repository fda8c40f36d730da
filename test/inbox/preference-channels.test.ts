import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import {
  TEMPLATE_CUSTOM_NOTIFICATION,
  TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
} from '../../src/notifications/templates/catalogue.js';

interface Grid {
  channels: { method: string; label: string }[];
  templates: { id: string; locked: boolean; available: string[]; channels: Record<string, boolean>; updated_at: string | null }[];
}
const row = (g: Grid, id: string) => g.templates.find((t) => t.id === id)!;

describeEachEngine('per-channel notification preferences', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;

  beforeAll(async () => {
    server = await startTestServer(engine, {
      // A smarthost makes e-mail a channel; nothing listens there and delivery is not what is tested.
      config: { email: { smarthost: '127.0.0.1:9', from: 'herald@test.com' }, notifications: { customRateLimit: 0 } },
    });
    ({ api: owner } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Sends the user a custom notification and returns the methods of the messages enqueued for it. */
  async function enqueuedMethods(u: { api: ApiHelper; id: string }): Promise<string[]> {
    const title = `t-${crypto.randomUUID()}`;
    expect((await u.api.post('/notifications/custom', { content: { title, message: 'm' } })).status).toBe(204);
    const r = await server.db.query<{ method: string }>(
      `SELECT method::text AS method FROM notification_messages WHERE user_id = $1 AND payload->'labels'->>'custom_title' = $2 ORDER BY method`,
      [u.id, title],
    );
    return r.rows.map((x) => x.method);
  }

  it('lists every template with its channels; critical ones locked; OTP never in the inbox', async () => {
    const u = await createUser(owner);
    const r = await u.api.get(`/users/${u.id}/notifications/preferences/channels`);
    expect(r.status).toBe(200);
    const g = r.body as Grid;
    expect(g.channels).toEqual([
      { method: 'inbox', label: 'Inbox' },
      { method: 'smtp', label: 'E-mail' },
    ]);
    expect(row(g, TEMPLATE_CUSTOM_NOTIFICATION)).toMatchObject({ locked: false, available: ['smtp', 'inbox'], channels: { smtp: true, inbox: true }, updated_at: null });
    expect(row(g, TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE)).toMatchObject({ locked: true, available: ['smtp'], channels: { smtp: true } });
  });

  it('turning one channel off stops only that channel at enqueue; every channel off is the reference disabled, and back', async () => {
    const u = await createUser(owner);
    expect(await enqueuedMethods(u)).toEqual(['inbox', 'smtp']);
    const path = `/users/${u.id}/notifications/preferences/channels`;

    let r = await u.api.put(path, { template_channels: { [TEMPLATE_CUSTOM_NOTIFICATION]: { smtp: false } } });
    expect(r.status).toBe(200);
    expect(row(r.body, TEMPLATE_CUSTOM_NOTIFICATION).channels).toEqual({ smtp: false, inbox: true });
    expect(await enqueuedMethods(u)).toEqual(['inbox']);
    let legacy = await u.api.get(`/users/${u.id}/notifications/preferences`);
    expect(legacy.body).toEqual([expect.objectContaining({ id: TEMPLATE_CUSTOM_NOTIFICATION, disabled: false })]);

    r = await u.api.put(path, { template_channels: { [TEMPLATE_CUSTOM_NOTIFICATION]: { inbox: false } } });
    expect(row(r.body, TEMPLATE_CUSTOM_NOTIFICATION).channels).toEqual({ smtp: false, inbox: false });
    legacy = await u.api.get(`/users/${u.id}/notifications/preferences`);
    expect(legacy.body).toEqual([expect.objectContaining({ id: TEMPLATE_CUSTOM_NOTIFICATION, disabled: true })]);
    expect(await enqueuedMethods(u)).toEqual([]);

    // The reference's API: enabled means every channel on again; disabled means every channel off.
    expect((await u.api.put(`/users/${u.id}/notifications/preferences`, { template_disabled_map: { [TEMPLATE_CUSTOM_NOTIFICATION]: false } })).status).toBe(200);
    expect(row((await u.api.get(path)).body, TEMPLATE_CUSTOM_NOTIFICATION).channels).toEqual({ smtp: true, inbox: true });
    expect(await enqueuedMethods(u)).toEqual(['inbox', 'smtp']);
    await u.api.put(`/users/${u.id}/notifications/preferences`, { template_disabled_map: { [TEMPLATE_CUSTOM_NOTIFICATION]: true } });
    expect(row((await u.api.get(path)).body, TEMPLATE_CUSTOM_NOTIFICATION).channels).toEqual({ smtp: false, inbox: false });
  });

  it('refuses locked, unknown and malformed entries with per-field validations, writing nothing', async () => {
    const u = await createUser(owner);
    const path = `/users/${u.id}/notifications/preferences/channels`;
    const r = await u.api.put(path, {
      template_channels: {
        [TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE]: { smtp: false },
        [TEMPLATE_CUSTOM_NOTIFICATION]: { slack: false, inbox: false },
        [crypto.randomUUID()]: { inbox: true },
        'not-a-uuid': { inbox: true },
      },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('Invalid notification channel preferences.');
    expect(r.body.validations.map((v: { field: string }) => v.field)).toHaveLength(4);
    expect(r.body.validations).toContainEqual({ field: `template_channels.${TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE}.smtp`, detail: 'this notification cannot be turned off' });
    const stored = await server.db.query(`SELECT 1 FROM notification_preferences WHERE user_id = $1`, [u.id]);
    expect(stored.rowCount).toBe(0);
    expect((await u.api.put(path, { template_channels: { [TEMPLATE_CUSTOM_NOTIFICATION]: { inbox: 'no' } } })).status).toBe(400);
  });

  it("another member can neither read nor change a user's channels; the owner can", async () => {
    const u = await createUser(owner);
    const other = await createUser(owner);
    const path = `/users/${u.id}/notifications/preferences/channels`;
    expect((await other.api.get(path)).status).toBe(400);
    expect((await other.api.put(path, { template_channels: { [TEMPLATE_CUSTOM_NOTIFICATION]: { inbox: false } } })).status).toBe(400);
    expect((await owner.put(path, { template_channels: { [TEMPLATE_CUSTOM_NOTIFICATION]: { inbox: false } } })).status).toBe(200);
    expect(row((await u.api.get(path)).body, TEMPLATE_CUSTOM_NOTIFICATION).channels.inbox).toBe(false);
  });
});
