// The enqueuer caches templates and users to enqueue in one statement; the statement re-checks them
// and falls back to the full path, so a change made through another replica (here: another enqueuer,
// or plain SQL) is never missed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { testConfig } from '../support/server.js';
import { createEnqueuer, UnknownTemplateError, UnknownUserError, type Enqueuer } from '../../src/notifications/enqueue.js';
import { silentLogger } from '../../src/lib/logger.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { waitFor } from '../support/wait.js';

describeEachEngine('enqueue with cached templates and users', (engine) => {
  let database: TestDatabase;
  let a: Enqueuer;
  let b: Enqueuer;
  let carol: string;
  let n = 0;
  beforeAll(async () => {
    database = await freshDatabase(engine);
    carol = (
      await database.db.query<{ id: string }>(
        `INSERT INTO users (email, username, name, hashed_password) VALUES ('carol@example.com', 'carol', 'Carol C', '\\x') RETURNING id`,
      )
    ).rows[0].id;
    const cfg = testConfig({ email: { smarthost: 'localhost:25' }, notifications: { inbox: { enabled: false } } });
    const make = () => createEnqueuer({ db: database.db, notifications: cfg.notifications, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger() });
    a = make();
    b = make();
  });
  afterAll(async () => database?.drop());

  const req = (userId: string, templateId = TEMPLATE_TEST_NOTIFICATION) => ({ userId, templateId, labels: {}, data: { n: n++ }, createdBy: 'test' });
  const payloadOf = async (id: string) =>
    (await database.db.query<{ payload: Record<string, unknown> }>(`SELECT payload FROM notification_messages WHERE id = $1`, [id])).rows[0].payload;

  it("writes the user's and template's current values after they changed elsewhere", async () => {
    const [[first]] = await a.enqueueMany([req(carol)]);
    expect(await payloadOf(first)).toMatchObject({ user_name: 'Carol C', user_email: 'carol@example.com', user_username: 'carol' });
    await a.enqueueMany([req(carol)]); // cached now
    await database.db.query(`UPDATE users SET name = '', email = 'c2@example.com', username = 'carol2' WHERE id = $1`, [carol]);
    const [[second]] = await a.enqueueMany([req(carol)]);
    expect(await payloadOf(second)).toMatchObject({ user_name: 'carol2', user_email: 'c2@example.com', user_username: 'carol2' });
    const name = (await database.db.query<{ name: string }>(`SELECT name FROM notification_templates WHERE id = $1`, [TEMPLATE_TEST_NOTIFICATION])).rows[0].name;
    await database.db.query(`UPDATE notification_templates SET name = 'Renamed test', actions = '[{"label":"Go","url":"{{base_url}}/x/{{.UserUsername}}"}]' WHERE id = $1`, [TEMPLATE_TEST_NOTIFICATION]);
    try {
      const [[third]] = await a.enqueueMany([req(carol)]);
      expect(await payloadOf(third)).toMatchObject({ notification_name: 'Renamed test', actions: [{ label: 'Go', url: `${testConfig().accessUrl}/x/carol2` }] });
    } finally {
      await database.db.query(`UPDATE notification_templates SET name = $2 WHERE id = $1`, [TEMPLATE_TEST_NOTIFICATION, name]);
    }
  });

  it('holds the event of a user who got a digest since the user was cached', async () => {
    await b.enqueueMany([req(carol)]);
    await database.db.query(`INSERT INTO notification_user_rules (user_id, digest) VALUES ($1, 'hourly')`, [carol]);
    try {
      const [ids] = await b.enqueueMany([req(carol)]);
      expect(ids).toHaveLength(1);
      const row = (await database.db.query<{ status: string; group_id: string | null }>(`SELECT status::text AS status, group_id FROM notification_messages WHERE id = $1`, [ids[0]])).rows[0];
      expect(row.group_id).not.toBeNull();
      expect(row.status).not.toBe('pending');
    } finally {
      await database.db.query(`DELETE FROM notification_user_rules WHERE user_id = $1`, [carol]);
    }
    // Without the rule again: enqueued as usual.
    const [[id]] = await b.enqueueMany([req(carol)]);
    const row = (await database.db.query<{ status: string; group_id: string | null }>(`SELECT status::text AS status, group_id FROM notification_messages WHERE id = $1`, [id])).rows[0];
    expect(row).toEqual({ status: 'pending', group_id: null });
  });

  it('enqueues a cached template for a cached user in one statement', async () => {
    const cfg = testConfig({ email: { smarthost: 'localhost:25' }, notifications: { inbox: { enabled: false } } });
    const names: string[] = [];
    const db = {
      query: ((text: string, values?: unknown[], o?: { name?: string }) => {
        names.push(o?.name ?? text);
        return database.db.query(text, values, o);
      }) as typeof database.db.query,
      // The wake-up after a commit is no statement of the enqueuer's own (Database.signal).
      signal: (channel: string, payload: string) => database.db.signal(channel, payload),
      engine: database.db.engine,
    } as typeof database.db;
    const c = createEnqueuer({ db, notifications: cfg.notifications, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger() });
    await c.enqueueMany([req(carol)]);
    expect(names).toHaveLength(2); // first sight: look-up, insert
    names.length = 0;
    const woken: string[] = [];
    const stop = await database.db.listen('herald_notifications_enqueued', (p) => woken.push(p));
    expect((await c.enqueueMany([req(carol)]))[0]).toHaveLength(1);
    // Alone in flight on PostgreSQL the wake-up rides along in the insert; on PGlite it is no statement.
    expect(names).toEqual([engine === 'pglite' ? 'herald_enqueue_fast_own' : 'herald_enqueue_fast']);
    await waitFor(() => woken.length >= 1);
    await stop();
  });

  it('honours an opt-out made after the template was cached', async () => {
    await a.enqueueMany([req(carol)]);
    await database.db.query(`INSERT INTO notification_preferences (user_id, notification_template_id, disabled) VALUES ($1, $2, true)`, [carol, TEMPLATE_TEST_NOTIFICATION]);
    expect(await a.enqueueMany([req(carol)])).toEqual([[]]);
    await database.db.query(`DELETE FROM notification_preferences WHERE user_id = $1`, [carol]);
  });

  it('honours opt-outs in a larger cached batch (checked once per template and user)', async () => {
    const erin = (
      await database.db.query<{ id: string }>(`INSERT INTO users (email, username, name, hashed_password) VALUES ('erin@example.com', 'erin', 'Erin', '\\x') RETURNING id`)
    ).rows[0].id;
    await a.enqueueMany([req(carol), req(erin)]);
    await database.db.query(
      `INSERT INTO notification_preferences (user_id, notification_template_id, disabled, disabled_methods) VALUES ($1, $2, false, '{smtp}')`,
      [carol, TEMPLATE_TEST_NOTIFICATION],
    );
    try {
      const batch = Array.from({ length: 12 }, (_, i) => req(i % 2 ? carol : erin));
      const ids = await a.enqueueMany(batch);
      expect(ids.map((x) => x.length)).toEqual(batch.map((_, i) => (i % 2 ? 0 : 1)));
    } finally {
      await database.db.query(`DELETE FROM notification_preferences WHERE user_id = $1`, [carol]);
    }
  });

  it('de-duplicates on the cached path', async () => {
    const same = { ...req(carol), data: { same: true } };
    expect((await a.enqueueMany([same]))[0]).toHaveLength(1);
    expect(await a.enqueueMany([same])).toEqual([[]]);
  });

  it('fails for a cached user or template that was deleted, inserting nothing', async () => {
    const dave = (
      await database.db.query<{ id: string }>(`INSERT INTO users (email, username, name, hashed_password) VALUES ('dave@example.com', 'dave', 'Dave', '\\x') RETURNING id`)
    ).rows[0].id;
    await a.enqueueMany([req(dave)]);
    await a.enqueueMany([req(dave)]);
    await database.db.query(`DELETE FROM users WHERE id = $1`, [dave]);
    const before = (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages`)).rows[0].n;
    await expect(a.enqueueMany([req(carol), req(dave)])).rejects.toBeInstanceOf(UnknownUserError);
    expect((await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages`)).rows[0].n).toBe(before);

    const tpl = (
      await database.db.query<{ id: string }>(
        `INSERT INTO notification_templates (id, name, title_template, body_template, kind) VALUES (gen_random_uuid(), 'Cache test', 't', 'b', 'custom') RETURNING id`,
      )
    ).rows[0].id;
    await a.enqueueMany([req(carol, tpl)]);
    await a.enqueueMany([req(carol, tpl)]);
    await database.db.query(`DELETE FROM notification_templates WHERE id = $1`, [tpl]);
    await expect(a.enqueueMany([req(carol, tpl)])).rejects.toBeInstanceOf(UnknownTemplateError);
  });

  it('lets concurrent calls share statements, each with its own ids, and fails only the call that is wrong', async () => {
    const cfg = testConfig({ email: { smarthost: 'localhost:25' }, notifications: { inbox: { enabled: false } } });
    let statements = 0;
    const db = {
      query: ((text: string, values?: unknown[], o?: { name?: string }) => {
        statements++;
        return database.db.query(text, values, o);
      }) as typeof database.db.query,
      signal: (channel: string, payload: string) => database.db.signal(channel, payload),
      engine: database.db.engine,
    } as typeof database.db;
    const c = createEnqueuer({ db, notifications: cfg.notifications, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger() });
    await c.enqueueMany([req(carol)]); // cached from here on
    statements = 0;
    const calls = Array.from({ length: 20 }, () => req(carol));
    const same = { ...req(carol), data: { shared: 'twice' } };
    const results = await Promise.all([...calls.map((r) => c.enqueueMany([r])), c.enqueueMany([same]), c.enqueueMany([same])]);
    // Two went out at once; the other 20 waited and shared statements.
    expect(statements).toBeLessThan(calls.length);
    const ids = results.slice(0, calls.length).map((x) => x[0]);
    expect(ids.every((x) => x.length === 1)).toBe(true);
    expect(new Set(ids.flat()).size).toBe(calls.length);
    // Each call got the ids of its own request.
    const rows = (await database.db.query<{ id: string; n: number }>(`SELECT id, (payload->'data'->>'n')::int AS n FROM notification_messages WHERE id = ANY($1::uuid[])`, [ids.flat()])).rows;
    const byId = new Map(rows.map((r) => [r.id, r.n]));
    calls.forEach((r, i) => expect(byId.get(ids[i][0])).toBe(r.data.n));
    // The same notification twice in one go: one of the two calls gets it, the other nothing.
    expect(results.slice(calls.length).map((x) => x[0].length).sort()).toEqual([0, 1]);

    // A call with an unknown user fails alone; the calls sharing its statement are enqueued.
    const before = (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages`)).rows[0].n;
    const settled = await Promise.allSettled([
      c.enqueueMany([req(carol)]),
      c.enqueueMany([req(carol)]),
      c.enqueueMany([req(carol)]),
      c.enqueueMany([req('00000000-0000-4000-8000-000000000001')]),
      c.enqueueMany([req(carol)]),
    ]);
    expect(settled.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[3] as PromiseRejectedResult).reason).toBeInstanceOf(UnknownUserError);
    expect((await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages`)).rows[0].n).toBe(before + 4);
  });
});
