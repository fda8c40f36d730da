import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import {
  TEMPLATE_CUSTOM_NOTIFICATION,
  TEMPLATE_TEST_NOTIFICATION,
  TEMPLATE_USER_ACCOUNT_SUSPENDED,
} from '../../src/notifications/templates/catalogue.js';

describeEachEngine('notification settings, templates and preferences API', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let ownerId: string;

  beforeAll(async () => {
    server = await startTestServer(engine);
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
  });
  afterAll(async () => server?.stop());

  const disabledIn = async (userId: string, templateId: string): Promise<boolean | undefined> => {
    const r = await server.db.query<{ disabled: boolean }>(
      `SELECT disabled FROM notification_preferences WHERE user_id = $1 AND notification_template_id = $2`,
      [userId, templateId],
    );
    return r.rows[0]?.disabled;
  };
  const silence = { template_disabled_map: { [TEMPLATE_USER_ACCOUNT_SUSPENDED]: true } };

  it("a user admin may read an owner's preferences but not change them (403), whatever the body", async () => {
    const admin = await createUser(owner, ['user-admin']);
    expect((await admin.api.get(`/users/${ownerId}/notifications/preferences`)).status).toBe(200);
    const r = await admin.api.put(`/users/${ownerId}/notifications/preferences`, silence);
    expect(r.status).toBe(403);
    expect(r.body.message).toBe('Only the user themself or an owner may change notification preferences.');
    // Refused before the body is looked at.
    expect((await admin.api.put(`/users/${ownerId}/notifications/preferences`, {})).status).toBe(403);
    expect(await disabledIn(ownerId, TEMPLATE_USER_ACCOUNT_SUSPENDED)).toBeUndefined();
  });

  it("a user admin cannot change a member's or another user admin's preferences either, only its own", async () => {
    const admin = await createUser(owner, ['user-admin']);
    const member = await createUser(owner);
    const other = await createUser(owner, ['user-admin']);
    for (const u of [member, other]) {
      expect((await admin.api.put(`/users/${u.id}/notifications/preferences`, silence)).status).toBe(403);
      expect((await admin.api.put(`/users/${u.username}/notifications/preferences`, silence)).status).toBe(403);
      expect(await disabledIn(u.id, TEMPLATE_USER_ACCOUNT_SUSPENDED)).toBeUndefined();
    }
    const own = await admin.api.put('/users/me/notifications/preferences', silence);
    expect(own.status).toBe(200);
    expect(own.body).toEqual([{ id: TEMPLATE_USER_ACCOUNT_SUSPENDED, disabled: true, updated_at: expect.any(String) }]);
    expect(await disabledIn(admin.id, TEMPLATE_USER_ACCOUNT_SUSPENDED)).toBe(true);
  });

  it("an owner may change anyone's preferences; a member only its own (another's is 400, as the reference)", async () => {
    const member = await createUser(owner);
    const other = await createUser(owner);
    const admin = await createUser(owner, ['user-admin']);
    for (const u of [member, admin]) {
      const r = await owner.put(`/users/${u.id}/notifications/preferences`, { template_disabled_map: { [TEMPLATE_CUSTOM_NOTIFICATION]: true } });
      expect(r.status).toBe(200);
      expect(await disabledIn(u.id, TEMPLATE_CUSTOM_NOTIFICATION)).toBe(true);
    }
    expect((await member.api.put(`/users/${member.username}/notifications/preferences`, { template_disabled_map: { [TEMPLATE_CUSTOM_NOTIFICATION]: false } })).status).toBe(200);
    expect(await disabledIn(member.id, TEMPLATE_CUSTOM_NOTIFICATION)).toBe(false);
    const r = await member.api.put(`/users/${other.id}/notifications/preferences`, silence);
    expect(r.status).toBe(400);
    expect(r.body.message).toBe('You cannot access the notification preferences of another user.');
    expect((await member.api.get(`/users/${other.id}/notifications/preferences`)).status).toBe(400);
    expect(await disabledIn(other.id, TEMPLATE_USER_ACCOUNT_SUSPENDED)).toBeUndefined();
  });

  it('refuses malformed and unknown template ids with validations, writing nothing', async () => {
    const u = await createUser(owner);
    const bad = await u.api.put('/users/me/notifications/preferences', { template_disabled_map: { 'not-a-uuid': true, [TEMPLATE_CUSTOM_NOTIFICATION]: true } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ message: 'Unable to parse notification template UUID.', validations: [{ field: 'template_disabled_map.not-a-uuid', detail: 'not a UUID' }] });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const r = await u.api.put('/users/me/notifications/preferences', { template_disabled_map: { [unknown]: true, [TEMPLATE_CUSTOM_NOTIFICATION]: true } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ message: 'Unknown notification template.', validations: [{ field: `template_disabled_map.${unknown}` }] });
    expect(await disabledIn(u.id, TEMPLATE_CUSTOM_NOTIFICATION)).toBeUndefined();
  });

  it('notifier settings: 304 when unchanged (even for a member), 403 for a member changing them, stored for the owner', async () => {
    const member = await createUser(owner);
    expect((await member.api.get('/notifications/settings')).body).toEqual({ notifier_paused: false });
    expect((await member.api.put('/notifications/settings', { notifier_paused: true })).status).toBe(403);
    const paused = await owner.put('/notifications/settings', { notifier_paused: true });
    expect(paused.status).toBe(200);
    expect(paused.body).toEqual({ notifier_paused: true });
    expect((await member.api.put('/notifications/settings', { notifier_paused: true })).status).toBe(304);
    const row = await server.db.query<{ value: string }>(`SELECT value FROM site_configs WHERE key = 'notifications_settings'`);
    expect(JSON.parse(row.rows[0].value)).toEqual({ notifier_paused: true });
    expect((await owner.put('/notifications/settings', { notifier_paused: false })).status).toBe(200);
    expect((await member.api.get('/notifications/settings')).body).toEqual({ notifier_paused: false });
  });

  it('template method: owners set and reset it (304 when unchanged); others are told it does not exist', async () => {
    const member = await createUser(owner);
    const path = `/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`;
    expect((await member.api.put(path, { method: 'webhook' })).status).toBe(404);
    expect((await owner.put('/notifications/templates/nope/method', { method: 'webhook' })).body).toMatchObject({
      message: 'Invalid UUID "nope".',
      validations: [{ field: 'notification_template', detail: 'must be a UUID' }],
    });
    expect((await owner.put('/notifications/templates/00000000-0000-4000-8000-000000000000/method', { method: 'webhook' })).status).toBe(404);
    const bad = await owner.put(path, { method: 'pigeon' });
    expect(bad.status).toBe(400);
    expect(bad.body.validations[0].field).toBe('method');
    expect((await owner.put(path, { method: 'webhook' })).status).toBe(200);
    expect((await owner.put(path, { method: 'webhook' })).status).toBe(304);
    const listed = (await member.api.get('/notifications/templates/system')).body as { id: string; method: string }[];
    expect(listed.find((t) => t.id === TEMPLATE_TEST_NOTIFICATION)?.method).toBe('webhook');
    expect((await owner.delete(path)).status).toBe(200);
    expect((await owner.delete(path)).status).toBe(304);
    expect((await owner.get('/notifications/dispatch-methods')).body).toEqual({ available: ['smtp', 'webhook', 'webpush'], default: 'smtp' });
  });

  it('test notification and delivery history are for owners only', async () => {
    const member = await createUser(owner);
    expect((await member.api.post('/notifications/test')).status).toBe(403);
    expect((await member.api.get('/notifications/messages')).status).toBe(403);
    expect((await owner.post('/notifications/test')).status).toBe(204);
    const r = await owner.get(`/notifications/messages?template_id=${TEMPLATE_TEST_NOTIFICATION}`);
    expect(r.status).toBe(200);
    expect(r.body.count).toBeGreaterThan(0);
    expect(r.body.messages[0]).toMatchObject({ notification_template_id: TEMPLATE_TEST_NOTIFICATION, user_id: ownerId, created_by: 'send-test-notification' });
  });
});
