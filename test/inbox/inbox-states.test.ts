import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, pgAvailable, type TestDatabase } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { silentLogger } from '../../src/lib/logger.js';
import { SnoozeSweeper } from '../../src/notifications/inbox/snooze.js';
import { CATALOGUE, TEMPLATE_CUSTOM_NOTIFICATION, TEMPLATE_TASK_COMPLETED, TEMPLATE_WORKSPACE_CREATED } from '../../src/notifications/templates/catalogue.js';
import { addInboxRows, openWatch, waitFor, type Frame } from './helpers.js';

type N = Frame['notification'];
const ids = (r: { body: { notifications: N[] } }) => r.body.notifications.map((n) => n.id);

describeEachEngine('inbox states: unread, archive, snooze, filters, pushed changes', (engine) => {
  let server: TestServer;
  let owner: ApiHelper;

  beforeAll(async () => {
    server = await startTestServer(engine);
    ({ api: owner } = await setupOwner(server.api));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('marks a row unread again, and the count follows', async () => {
    const u = await createUser(owner);
    const [a] = await addInboxRows(server.db, u.id, [{ title: 'Backup finished' }]);
    let r = await u.api.put(`/notifications/inbox/${a}/read-status`, { is_read: true });
    expect(r.status).toBe(200);
    expect(r.body.unread_count).toBe(0);
    expect(r.body.notification.read_at).not.toBeNull();
    r = await u.api.put(`/notifications/inbox/${a}/read-status`, { is_read: false });
    expect(r.status).toBe(200);
    expect(r.body.notification).toMatchObject({ id: a, read_at: null, title: 'Backup finished' });
    expect(r.body.unread_count).toBe(1);
    const row = await server.db.query<{ read_at: Date | null }>(`SELECT read_at FROM inbox_notifications WHERE id = $1`, [a]);
    expect(row.rows[0].read_at).toBeNull();
  });

  it('archives: gone from the default list and the badge, listed with archived=true|all, and back with archived:false', async () => {
    const u = await createUser(owner);
    const [a, b] = await addInboxRows(server.db, u.id, [{ title: 'a' }, { title: 'b' }]);
    const r = await u.api.put(`/notifications/inbox/${a}/archive`);
    expect(r.status).toBe(200);
    expect(r.body.notification.archived_at).not.toBeNull();
    expect(r.body.unread_count).toBe(1);
    expect(ids(await u.api.get('/notifications/inbox'))).toEqual([b]);
    expect(ids(await u.api.get('/notifications/inbox?archived=true'))).toEqual([a]);
    expect(new Set(ids(await u.api.get('/notifications/inbox?archived=all')))).toEqual(new Set([a, b]));
    expect((await u.api.get('/notifications/inbox')).body.unread_count).toBe(1);
    const back = await u.api.put(`/notifications/inbox/${a}/archive`, { archived: false });
    expect(back.body.notification.archived_at).toBeNull();
    expect(back.body.unread_count).toBe(2);
    expect(new Set(ids(await u.api.get('/notifications/inbox')))).toEqual(new Set([a, b]));
  });

  it('refuses bad archive and snooze requests with 400/404 and field validations', async () => {
    const u = await createUser(owner);
    const other = await createUser(owner);
    const [mine] = await addInboxRows(server.db, u.id, [{}]);
    const [theirs] = await addInboxRows(server.db, other.id, [{}]);
    expect((await u.api.put(`/notifications/inbox/${theirs}/archive`)).status).toBe(404);
    expect((await u.api.put(`/notifications/inbox/${theirs}/snooze`, { until: new Date(Date.now() + 60_000).toISOString() })).status).toBe(404);
    expect((await u.api.put(`/notifications/inbox/not-a-uuid/archive`)).status).toBe(400);
    const past = await u.api.put(`/notifications/inbox/${mine}/snooze`, { until: new Date(Date.now() - 1000).toISOString() });
    expect(past.status).toBe(400);
    expect(past.body.validations).toEqual([{ field: 'until', detail: 'must be in the future' }]);
    const far = await u.api.put(`/notifications/inbox/${mine}/snooze`, { until: '2999-01-01T00:00:00Z' });
    expect(far.status).toBe(400);
    expect((await u.api.put(`/notifications/inbox/${mine}/snooze`, { until: 'tomorrow' })).status).toBe(400);
    expect((await u.api.put(`/notifications/inbox/${mine}/snooze`, {})).status).toBe(400);
    const badFilter = await u.api.get('/notifications/inbox?archived=maybe&kinds=nope');
    expect(badFilter.status).toBe(400);
    expect(badFilter.body.validations.map((v: { field: string }) => v.field).sort()).toEqual(['archived', 'kinds']);
    // The other user's row is untouched.
    const row = await server.db.query<{ archived_at: Date | null; snoozed_until: Date | null }>(
      `SELECT archived_at, snoozed_until FROM inbox_notifications WHERE id = $1`,
      [theirs],
    );
    expect(row.rows[0]).toEqual({ archived_at: null, snoozed_until: null });
  });

  it('snoozes: hidden from the list and the badge, listed with snoozed=true, woken early with until:null', async () => {
    const u = await createUser(owner);
    const [a, b] = await addInboxRows(server.db, u.id, [{ title: 'a' }, { title: 'b' }]);
    const until = new Date(Date.now() + 3600_000).toISOString();
    const r = await u.api.put(`/notifications/inbox/${a}/snooze`, { until });
    expect(r.status).toBe(200);
    expect(r.body.notification.snoozed_until).toBe(until);
    expect(r.body.unread_count).toBe(1);
    expect(ids(await u.api.get('/notifications/inbox'))).toEqual([b]);
    expect(ids(await u.api.get('/notifications/inbox?snoozed=true'))).toEqual([a]);
    const woke = await u.api.put(`/notifications/inbox/${a}/snooze`, { until: null });
    expect(woke.body.notification.snoozed_until).toBeNull();
    expect(woke.body.unread_count).toBe(2);
  });

  it('a snoozed row comes back by itself when due, unread, and is pushed to watchers', async () => {
    const u = await createUser(owner);
    const [a] = await addInboxRows(server.db, u.id, [{ title: 'Job 7 finished' }]);
    await u.api.put(`/notifications/inbox/${a}/read-status`, { is_read: true });
    const bell = await openWatch(server.url, { token: u.api.token, query: 'read_status=unread' });
    expect((await u.api.put(`/notifications/inbox/${a}/snooze`, { until: new Date(Date.now() + 1500).toISOString() })).status).toBe(200);
    expect(ids(await u.api.get('/notifications/inbox'))).toEqual([]);
    // (The row's own "new" announcement may reach the watch first; the due one is what matters.)
    const f = await waitFor(() => bell.frames.find((x) => x.event === 'due'), 5000);
    expect(f).toMatchObject({ event: 'due', unread_count: 1, notification: { id: a, title: 'Job 7 finished', read_at: null, snoozed_until: null } });
    expect(ids(await u.api.get('/notifications/inbox'))).toEqual([a]);
    bell.close();
  });

  it("pushes read, unread, archive, snooze and mark-all-read to the user's other watchers that ask for changes", async () => {
    const u = await createUser(owner);
    const [a, b] = await addInboxRows(server.db, u.id, [{ title: 'a' }, { title: 'b' }]);
    const tab = await openWatch(server.url, { token: u.api.token, query: 'updates=true' });
    const plain = await openWatch(server.url, { token: u.api.token });
    await u.api.put(`/notifications/inbox/${a}/archive`);
    await u.api.put(`/notifications/inbox/${b}/read-status`, { is_read: true });
    await u.api.put(`/notifications/inbox/${b}/read-status`, { is_read: false });
    await u.api.put(`/notifications/inbox/${b}/snooze`, { until: new Date(Date.now() + 3600_000).toISOString() });
    await u.api.put('/notifications/inbox/mark-all-as-read');
    // The rows' own "new" announcements may still reach a watch opened right after they were written:
    // they are not what this test is about.
    const early = (f: { event: string; notification?: { id: string } }) => f.event === 'new' && (f.notification?.id === a || f.notification?.id === b);
    await waitFor(() => tab.frames.filter((f) => !early(f)).length >= 5);
    const frames = tab.frames.filter((f) => !early(f));
    expect(frames.map((f) => f.event)).toEqual(['updated', 'updated', 'updated', 'updated', 'read_all']);
    expect(frames[0].notification).toMatchObject({ id: a, title: 'a' });
    expect(frames[0].notification.archived_at).not.toBeNull();
    expect(frames[1].notification.read_at).not.toBeNull();
    expect(frames[2].notification.read_at).toBeNull();
    expect(frames[3].notification.snoozed_until).not.toBeNull();
    expect(frames[4]).toEqual({ event: 'read_all', unread_count: 0 });
    // A reference client (no updates=true) gets none of them: a new row is its first frame.
    await addInboxRows(server.db, u.id, [{ title: 'c' }]);
    await waitFor(() => plain.frames.some((f) => f.notification?.title === 'c'));
    await waitFor(() => tab.frames.some((f) => f.notification?.title === 'c'));
    expect(plain.frames.filter((f) => !early(f)).map((f) => [f.event, f.notification?.title])).toEqual([['new', 'c']]);
    tab.close();
    plain.close();
  });

  it('carries kind for every template group, filters by kind and searches titles and content', async () => {
    const u = await createUser(owner);
    const rows = CATALOGUE.map((c) => ({ template_id: c.id, title: `T ${c.name}`, content: `body of ${c.goName}` }));
    await addInboxRows(server.db, u.id, rows);
    const all = await u.api.get('/notifications/inbox?archived=all&kinds=workspace,task,template,user,custom,test');
    expect(all.body.notifications).toHaveLength(25);
    const kinds = new Set<string>();
    let page = all.body.notifications as N[];
    let seen = [...page];
    while (page.length === 25) {
      page = (await u.api.get(`/notifications/inbox?starting_before=${page[24].id}`)).body.notifications;
      seen = seen.concat(page);
    }
    for (const n of seen) {
      kinds.add(n.kind);
      expect(n.title).toMatch(/^T /);
    }
    expect(kinds).toEqual(new Set(['workspace', 'task', 'template', 'user', 'custom', 'test']));
    const tasks = await u.api.get('/notifications/inbox?kinds=task');
    expect(tasks.body.notifications.length).toBe(CATALOGUE.filter((c) => c.group === 'Task Events').length);
    expect(tasks.body.notifications.every((n: N) => n.kind === 'task')).toBe(true);
    const found = await u.api.get(`/notifications/inbox?q=${encodeURIComponent('body TemplateTaskCompleted')}`);
    expect(found.body.notifications.map((n: N) => n.template_id)).toEqual([TEMPLATE_TASK_COMPLETED]);
    // LIKE wildcards in the search are literal.
    expect((await u.api.get('/notifications/inbox?q=%25')).body.notifications).toEqual([]);
    const one = await u.api.get(`/notifications/inbox?kinds=workspace&templates=${TEMPLATE_WORKSPACE_CREATED}`);
    expect(one.body.notifications.map((n: N) => n.template_id)).toEqual([TEMPLATE_WORKSPACE_CREATED]);
  });

  if (engine === 'postgres') {
    it('two replicas: a due snooze is released once and pushed to a watcher on the other replica', async () => {
      const b = await startTestServer('postgres', { database: server.database });
      try {
        const u = await createUser(owner);
        const [a] = await addInboxRows(server.db, u.id, [{ title: 'cross' }]);
        const onB = await openWatch(b.url, { token: u.api.token, query: 'updates=true' });
        await u.api.put(`/notifications/inbox/${a}/snooze`, { until: new Date(Date.now() + 1000).toISOString() });
        const frames = await waitFor(() => onB.frames.some((f) => f.event === 'due') && onB.frames, 5000);
        // Another row after the due one proves no second due frame was in between.
        await addInboxRows(server.db, u.id, [{ title: 'later' }]);
        await waitFor(() => onB.frames.some((f) => f.notification?.title === 'later'));
        expect(frames.filter((f) => f.event === 'due')).toHaveLength(1);
        // (The row's own 'new' frame may arrive first if its NOTIFY raced the watch's opening.)
        expect(onB.frames.map((f) => f.event).filter((e, i) => !(i === 0 && e === 'new'))).toEqual(['updated', 'due', 'new']);
        onB.close();
      } finally {
        await b.stop();
      }
    });
  }
});

describe.each(['pglite', ...(pgAvailable() ? ['postgres'] : [])] as const)('snooze sweeper with an injected clock [%s]', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('releases nothing early, everything once when due, whichever of two sweepers gets there', async () => {
    const db = database.db;
    const user = crypto.randomUUID();
    await db.query(
      `INSERT INTO users (id, email, username, hashed_password, login_type) VALUES ($1, $2, $3, ''::bytea, 'password')`,
      [user, `${user}@x.test`, `u${user.slice(0, 8)}`],
    );
    const t0 = new Date('2030-01-01T00:00:00Z');
    const [r1, r2] = await addInboxRows(db, user, [{ template_id: TEMPLATE_CUSTOM_NOTIFICATION }, {}]);
    await db.query(`UPDATE inbox_notifications SET snoozed_until = $2, read_at = $3 WHERE id = ANY($1::uuid[])`, [
      [r1, r2],
      new Date(t0.getTime() + 3600_000),
      t0,
    ]);
    let now = t0;
    const clock = () => now;
    const s1 = new SnoozeSweeper({ db, log: silentLogger(), clock });
    const s2 = new SnoozeSweeper({ db, log: silentLogger(), clock });
    await s1.sweep();
    let rows = await db.query<{ snoozed_until: Date | null }>(`SELECT snoozed_until FROM inbox_notifications WHERE user_id = $1`, [user]);
    expect(rows.rows.every((r) => r.snoozed_until !== null)).toBe(true);
    now = new Date(t0.getTime() + 3600_000);
    const events: string[] = [];
    // Released rows are announced a batch per statement: [user_id, id] pairs.
    const unlisten = await db.listen('herald_inbox', (p) => {
      const e = JSON.parse(p) as { kind: string; rows?: unknown[] };
      for (const _ of e.rows ?? [e]) events.push(e.kind);
    });
    await Promise.all([s1.sweep(), s2.sweep()]);
    rows = await db.query(`SELECT snoozed_until, read_at FROM inbox_notifications WHERE user_id = $1`, [user]);
    expect(rows.rows).toEqual([
      { snoozed_until: null, read_at: null },
      { snoozed_until: null, read_at: null },
    ]);
    await waitFor(() => events.length >= 2);
    expect(events).toEqual(['due', 'due']);
    await unlisten();
    await s1.stop();
    await s2.stop();
  });
});
