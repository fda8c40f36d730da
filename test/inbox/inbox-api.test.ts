import crypto from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import {
  TEMPLATE_CUSTOM_NOTIFICATION,
  TEMPLATE_TEMPLATE_DELETED,
  TEMPLATE_TEST_NOTIFICATION,
  TEMPLATE_USER_ACCOUNT_CREATED,
  TEMPLATE_WORKSPACE_CREATED,
} from '../../src/notifications/templates/catalogue.js';
import { addInboxRows } from './helpers.js';

describeEachEngine('inbox API', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;
  let member: { api: ApiHelper; id: string };
  let other: { api: ApiHelper; id: string };

  beforeAll(async () => {
    server = await startTestServer(engine);
    ({ api: owner } = await setupOwner(server.api));
    member = await createUser(owner);
    other = await createUser(owner);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('pages 40 rows as 25 + 15, newest first, without gaps or repeats (rows share one created_at)', async () => {
    const u = await createUser(owner);
    // One statement: every row gets the same created_at, the case a created_at-only cursor gets wrong.
    const ids = await addInboxRows(server.db, u.id, Array.from({ length: 40 }, (_, i) => ({ title: `t${i}` })));
    const p1 = await u.api.get('/notifications/inbox');
    expect(p1.status).toBe(200);
    expect(p1.body.notifications).toHaveLength(25);
    expect(p1.body.unread_count).toBe(40);
    const last = p1.body.notifications[24].id;
    const p2 = await u.api.get(`/notifications/inbox?starting_before=${last}`);
    expect(p2.status).toBe(200);
    expect(p2.body.notifications).toHaveLength(15);
    const seen = [...p1.body.notifications, ...p2.body.notifications].map((n: { id: string }) => n.id);
    expect(new Set(seen).size).toBe(40);
    expect(new Set(seen)).toEqual(new Set(ids));
    const p3 = await u.api.get(`/notifications/inbox?starting_before=${p2.body.notifications[14].id}`);
    expect(p3.body.notifications).toEqual([]);
    // An unknown cursor starts from the newest, as the reference does.
    const p4 = await u.api.get(`/notifications/inbox?starting_before=${crypto.randomUUID()}`);
    expect(p4.body.notifications).toHaveLength(25);
  });

  it('orders by creation time across separate writes', async () => {
    const u = await createUser(owner);
    await addInboxRows(server.db, u.id, [{ title: 'older' }]);
    await new Promise((r) => setTimeout(r, 5));
    await addInboxRows(server.db, u.id, [{ title: 'newer' }]);
    const r = await u.api.get('/notifications/inbox');
    expect(r.body.notifications.map((n: { title: string }) => n.title)).toEqual(['newer', 'older']);
  });

  it('returns the reference shape with icons filled per template', async () => {
    const u = await createUser(owner);
    await addInboxRows(server.db, u.id, [
      { template_id: TEMPLATE_WORKSPACE_CREATED, actions: [{ label: 'View', url: 'http://test.com/x' }] },
      { template_id: TEMPLATE_USER_ACCOUNT_CREATED },
      { template_id: TEMPLATE_TEMPLATE_DELETED },
      { template_id: TEMPLATE_CUSTOM_NOTIFICATION },
    ]);
    const r = await u.api.get('/notifications/inbox');
    const icons = Object.fromEntries(r.body.notifications.map((n: { template_id: string; icon: string }) => [n.template_id, n.icon]));
    expect(icons).toEqual({
      [TEMPLATE_WORKSPACE_CREATED]: 'DEFAULT_ICON_WORKSPACE',
      [TEMPLATE_USER_ACCOUNT_CREATED]: 'DEFAULT_ICON_ACCOUNT',
      [TEMPLATE_TEMPLATE_DELETED]: 'DEFAULT_ICON_TEMPLATE',
      [TEMPLATE_CUSTOM_NOTIFICATION]: 'DEFAULT_ICON_OTHER',
    });
    const ws = r.body.notifications.find((n: { template_id: string }) => n.template_id === TEMPLATE_WORKSPACE_CREATED);
    expect(Object.keys(ws).sort()).toEqual(
      // The reference's fields, then Herald's additive ones (issue 18).
      ['id', 'user_id', 'template_id', 'targets', 'title', 'content', 'icon', 'actions', 'read_at', 'created_at', 'archived_at', 'snoozed_until', 'kind'].sort(),
    );
    expect(ws).toMatchObject({ archived_at: null, snoozed_until: null, kind: 'workspace' });
    expect(ws).toMatchObject({ user_id: u.id, targets: [], read_at: null, actions: [{ label: 'View', url: 'http://test.com/x' }] });
  });

  it('filters by targets (all must match), templates (any) and read status', async () => {
    const u = await createUser(owner);
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    const ids = await addInboxRows(server.db, u.id, [
      { title: 'ab', targets: [a, b], template_id: TEMPLATE_WORKSPACE_CREATED },
      { title: 'a', targets: [a], template_id: TEMPLATE_TEST_NOTIFICATION },
      { title: 'none', template_id: TEMPLATE_CUSTOM_NOTIFICATION },
    ]);
    const titles = async (q: string) => {
      const r = await u.api.get(`/notifications/inbox?${q}`);
      expect(r.status).toBe(200);
      return r.body.notifications.map((n: { title: string }) => n.title).sort();
    };
    expect(await titles(`targets=${a}`)).toEqual(['a', 'ab']);
    expect(await titles(`targets=${a},${b}`)).toEqual(['ab']);
    expect(await titles(`templates=${TEMPLATE_CUSTOM_NOTIFICATION},${TEMPLATE_TEST_NOTIFICATION}`)).toEqual(['a', 'none']);
    expect(await titles(`targets=${a}&templates=${TEMPLATE_WORKSPACE_CREATED}`)).toEqual(['ab']);
    expect((await u.api.put(`/notifications/inbox/${ids[2]}/read-status`, { is_read: true })).status).toBe(200);
    expect(await titles('read_status=read')).toEqual(['none']);
    expect(await titles('read_status=unread')).toEqual(['a', 'ab']);
    expect(await titles('read_status=all')).toEqual(['a', 'ab', 'none']);
  });

  it('rejects bad query parameters with 400', async () => {
    const bad = await member.api.get('/notifications/inbox?targets=not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.validations[0].field).toBe('targets');
    expect(bad.body.validations[0].detail).toContain('Query param "targets" has invalid values');
    expect((await member.api.get('/notifications/inbox?templates=1,2')).status).toBe(400);
    expect((await member.api.get('/notifications/inbox?starting_before=nope')).status).toBe(400);
    const rs = await member.api.get('/notifications/inbox?read_status=maybe');
    expect(rs.status).toBe(400);
    expect(rs.body.message).toBe("starting_before query parameter should be any of 'all', 'read', 'unread'.");
    const extra = await member.api.get('/notifications/inbox?colour=blue');
    expect(extra.status).toBe(400);
    expect(extra.body.validations).toEqual([{ field: 'colour', detail: 'Query param "colour" is not a valid query param' }]);
  });

  it('marks one read and unread, answering the row and the unread count', async () => {
    const u = await createUser(owner);
    const [x] = await addInboxRows(server.db, u.id, [{}, {}, {}]);
    const r = await u.api.put(`/notifications/inbox/${x}/read-status`, { is_read: true });
    expect(r.status).toBe(200);
    expect(r.body.unread_count).toBe(2);
    expect(r.body.notification.id).toBe(x);
    expect(r.body.notification.icon).toBe('DEFAULT_ICON_OTHER');
    expect(Date.parse(r.body.notification.read_at)).toBeGreaterThan(Date.now() - 60_000);
    const back = await u.api.put(`/notifications/inbox/${x}/read-status`, { is_read: false });
    expect(back.body).toMatchObject({ unread_count: 3, notification: { id: x, read_at: null } });
  });

  it("answers 404 for another user's notification and leaves it unchanged", async () => {
    const [theirs] = await addInboxRows(server.db, other.id, [{ title: 'private' }]);
    const r = await member.api.put(`/notifications/inbox/${theirs}/read-status`, { is_read: true });
    expect(r.status).toBe(404);
    expect((await member.api.put(`/notifications/inbox/${crypto.randomUUID()}/read-status`, { is_read: true })).status).toBe(404);
    const row = await server.db.query<{ read_at: Date | null }>(`SELECT read_at FROM inbox_notifications WHERE id = $1`, [theirs]);
    expect(row.rows[0].read_at).toBeNull();
    // Nor does it show up in the member's own listing.
    const list = await member.api.get('/notifications/inbox');
    expect(list.body.notifications.map((n: { id: string }) => n.id)).not.toContain(theirs);
  });

  it('validates the read-status request', async () => {
    const bad = await member.api.put('/notifications/inbox/xyz/read-status', { is_read: true });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('Invalid UUID "xyz".');
    const [mine] = await addInboxRows(server.db, member.id, [{}]);
    expect((await member.api.put(`/notifications/inbox/${mine}/read-status`, { is_read: 'yes' })).status).toBe(400);
    expect((await member.api.put(`/notifications/inbox/${mine}/read-status`, {})).status).toBe(400);
  });

  it('marks all as read for the caller only', async () => {
    const u = await createUser(owner);
    const v = await createUser(owner);
    await addInboxRows(server.db, u.id, [{}, {}]);
    await addInboxRows(server.db, v.id, [{}]);
    const r = await u.api.put('/notifications/inbox/mark-all-as-read');
    expect(r.status).toBe(204);
    expect((await u.api.get('/notifications/inbox')).body.unread_count).toBe(0);
    expect((await u.api.get('/notifications/inbox?read_status=unread')).body.notifications).toEqual([]);
    expect((await v.api.get('/notifications/inbox')).body.unread_count).toBe(1);
  });

  it('requires authentication', async () => {
    expect((await server.api.get('/notifications/inbox')).status).toBe(401);
    expect((await server.api.put('/notifications/inbox/mark-all-as-read')).status).toBe(401);
  });
});
