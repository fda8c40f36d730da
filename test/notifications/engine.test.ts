import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { dispatcherOf, fetchAfterWake, setupOwner, startTestServer, testConfig, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { createEnqueuer } from '../../src/notifications/enqueue.js';
import { silentLogger } from '../../src/lib/logger.js';
import { waitFor } from '../support/wait.js';
import { MESSAGE_LOCK_CLASS } from '../../src/db/locks.js';
import {
  TEMPLATE_CUSTOM_NOTIFICATION,
  TEMPLATE_TEST_NOTIFICATION,
  TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE,
  TEMPLATE_WORKSPACE_CREATED,
} from '../../src/notifications/templates/catalogue.js';


interface Row {
  id: string;
  method: string;
  status: string;
  status_reason: string | null;
  attempt_count: number;
}

describeEachEngine('notification engine', (engine) => {
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;
  let clock = new Date();

  const rows = async () =>
    (
      await server.db.query<Row>(
        `SELECT id, method::text AS method, status::text AS status, status_reason, attempt_count
         FROM notification_messages WHERE user_id = $1 ORDER BY created_at, method::text`,
        [ownerId],
      )
    ).rows;
  const enqueueTest = (labels: Record<string, string> = {}) =>
    server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_CUSTOM_NOTIFICATION, labels: { custom_title: 't', custom_message: 'm', ...labels }, createdBy: 'test' }]).then((r) => r[0]);

  beforeAll(async () => {
    sink = await startHttpSink();
    server = await startTestServer(engine, {
      now: () => clock,
      config: {
        notifications: {
          method: 'webhook',
          webhook: { endpoint: sink.url, secret: '' },
          maxSendAttempts: 3,
          retryInterval: 100,
          fetchInterval: 200,
        },
      },
    });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
  });
  afterEach(async () => {
    sink.respondWith({ status: 200 });
    sink.reset();
    clock = new Date();
    await owner.put('/notifications/settings', { notifier_paused: false });
    await server.db.query(`DELETE FROM notification_messages`);
    await server.db.query(`DELETE FROM notification_preferences`);
  });
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
  });

  it('de-duplicates identical messages within a UTC day and accepts them the next day', async () => {
    expect(await enqueueTest()).toHaveLength(2);
    expect(await enqueueTest()).toHaveLength(0);
    expect(await enqueueTest({ custom_title: 'other' })).toHaveLength(2);
    clock = new Date(Date.now() + 24 * 3600 * 1000);
    expect(await enqueueTest()).toHaveLength(2);
  });

  it('retries a failing webhook up to the attempt limit, then fails permanently with the reason', async () => {
    sink.respondWith({ status: 500, body: 'boom' });
    await enqueueTest({ custom_title: 'retry me' });
    const webhookId = (await rows()).find((x) => x.method === 'webhook')!.id;
    const final = await waitFor(async () => {
      const r = (await rows()).find((x) => x.id === webhookId);
      return r?.status === 'permanent_failure' && r;
    });
    expect(final).toMatchObject({ method: 'webhook', attempt_count: 3, status_reason: 'non-2xx response (500)' });
    // Earlier tests' deliveries may still reach the sink: count this message's requests only.
    expect(sink.requests.filter((r) => r.headers['x-message-id'] === webhookId)).toHaveLength(3);
    const inbox = (await rows()).find((x) => x.method === 'inbox');
    expect(inbox).toMatchObject({ status: 'sent', attempt_count: 1 });
    const metrics = (await server.api.get('/metrics')).body as string;
    const line = (result: string) =>
      metrics.split('\n').find((l) => l.startsWith('coderd_notifications_dispatch_attempts_total') && l.includes('method="webhook"') && l.includes(`result="${result}"`));
    expect(line('temp_fail')).toMatch(/ [2-9]$/);
    expect(line('perm_fail')).toMatch(/ [1-9]$/);
    expect(metrics).toMatch(/coderd_notifications_retry_count\{method="webhook",notification_template_id="[^"]+"\} [2-9]/);
  });

  it('keeps messages pending while paused and delivers them on resume', async () => {
    expect((await owner.put('/notifications/settings', { notifier_paused: true })).status).toBe(200);
    expect((await owner.put('/notifications/settings', { notifier_paused: true })).status).toBe(304);
    const d = dispatcherOf(server);
    const fetched = fetchAfterWake(d, 'notify');
    await enqueueTest();
    // The dispatcher heard the enqueue and fetched nothing.
    expect(await fetched).toEqual({ count: 0 });
    expect(d.state).toBe('paused');
    expect((await rows()).map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(sink.requests).toHaveLength(0);
    await owner.put('/notifications/settings', { notifier_paused: false });
    await sink.waitFor(1, 3000);
    await waitFor(async () => (await rows()).every((r) => r.status === 'sent'));
  });

  // A lease is a session-level advisory lock (dispatch/lease.ts): a replica that crashes mid-delivery
  // loses its session and with it the lock, and this replica takes the message over. PGlite has a
  // single session, so only PostgreSQL can hold a lock the server's dispatcher does not.
  it.skipIf(engine === 'pglite')('delivers a message once the advisory lock of a crashed replica is gone, not before', async () => {
    await owner.put('/notifications/settings', { notifier_paused: true });
    const held = await enqueueTest({ custom_title: 'held' });
    const crashed = await server.db.session();
    await crashed.query(`SELECT pg_advisory_lock(${MESSAGE_LOCK_CLASS}, hashtext(id::text)) FROM unnest($1::uuid[]) AS u(id)`, [held]);
    await owner.put('/notifications/settings', { notifier_paused: false });
    // A later message goes out: the dispatcher has walked past the held ones (oldest first) by then.
    const later = await enqueueTest({ custom_title: 'later' });
    await waitFor(async () => (await rows()).filter((r) => later.includes(r.id)).every((r) => r.status === 'sent') || undefined);
    expect((await rows()).filter((r) => held.includes(r.id)).map((r) => r.status)).toEqual(['pending', 'pending']);
    await crashed.close();
    await waitFor(async () => (await rows()).filter((r) => held.includes(r.id)).every((r) => r.status === 'sent') || undefined);
  });

  it('inhibits a message the user disabled after it was enqueued, and enqueues nothing once disabled', async () => {
    await owner.put('/notifications/settings', { notifier_paused: true });
    await enqueueTest();
    const pref = await owner.put('/users/me/notifications/preferences', { template_disabled_map: { [TEMPLATE_CUSTOM_NOTIFICATION]: true } });
    expect(pref.status).toBe(200);
    expect(pref.body).toMatchObject([{ id: TEMPLATE_CUSTOM_NOTIFICATION, disabled: true }]);
    await owner.put('/notifications/settings', { notifier_paused: false });
    const done = await waitFor(async () => {
      const r = await rows();
      return r.every((x) => x.status === 'inhibited') && r;
    });
    expect(done.map((r) => r.status_reason)).toEqual(['disabled by user', 'disabled by user']);
    expect(sink.requests).toHaveLength(0);
    expect(await enqueueTest({ custom_title: 'later' })).toEqual([]);
  });

  it('does not enqueue an opt-in template until the user enables it', async () => {
    const req = { userId: ownerId, templateId: TEMPLATE_WORKSPACE_CREATED, labels: { workspace: 'w', template: 't', version: 'v', workspace_owner_username: 'u' }, createdBy: 'test' };
    expect(await server.enqueuer.enqueueMany([req])).toEqual([[]]);
    await owner.put('/users/me/notifications/preferences', { template_disabled_map: { [TEMPLATE_WORKSPACE_CREATED]: false } });
    expect((await server.enqueuer.enqueueMany([req]))[0]).toHaveLength(2);
  });

  it('uses a per-template method override, and can reset it', async () => {
    const put = await owner.put(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`, { method: 'inbox' });
    expect(put.status).toBe(200);
    expect((await owner.put(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`, { method: 'inbox' })).status).toBe(304);
    const bad = await owner.put(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`, { method: 'pigeon' });
    expect(bad.status).toBe(400);
    expect(bad.body.validations[0]).toEqual({ field: 'method', detail: '"pigeon" is not a valid method; smtp, webhook, inbox, slack, teams, discord, webpush, destination are the available options' });
    // Enqueued as any event of this template is (the test notification itself also tries every
    // configured method): the override replaces the deployment default.
    await server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_TEST_NOTIFICATION, labels: {}, data: { timestamp: 'override' }, createdBy: 'test' }]);
    expect((await rows()).map((r) => r.method)).toEqual(['inbox']);
    const list = await owner.get('/notifications/templates/system');
    expect(list.body.find((t: { id: string }) => t.id === TEMPLATE_TEST_NOTIFICATION).method).toBe('inbox');
    expect((await owner.delete(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`)).status).toBe(200);
    const after = await owner.get('/notifications/templates/system');
    expect(after.body.find((t: { id: string }) => t.id === TEMPLATE_TEST_NOTIFICATION).method).toBe('');
    expect(after.body.length).toBeGreaterThan(0);
    expect(after.body.every((t: { kind: string }) => t.kind === 'system')).toBe(true);
    expect(typeof after.body[0].actions).toBe('string');
    expect((await owner.delete(`/notifications/templates/${TEMPLATE_TEST_NOTIFICATION}/method`)).status).toBe(304);
  });

  it('never puts a one-time passcode in the inbox', async () => {
    const [ids] = await server.enqueuer.enqueueMany([{ userId: ownerId, templateId: TEMPLATE_USER_REQUESTED_ONE_TIME_PASSCODE, labels: { one_time_passcode: 'x' }, createdBy: 'test' }]);
    expect(ids).toHaveLength(1);
    expect((await rows()).map((r) => r.method)).toEqual(['webhook']);
  });

  it('renders a preview for owners only', async () => {
    const r = await owner.post(`/notifications/templates/${TEMPLATE_CUSTOM_NOTIFICATION}/preview`, { labels: { custom_title: 'Hi *there*', custom_message: 'Build [done](http://x)' } });
    expect(r.status).toBe(200);
    expect(r.body.title_markdown).toBe('Hi \\*there\\*');
    // The custom message is the sender's Markdown: an http(s) link renders (issue 17); the title stays literal.
    expect(r.body.body_html).toBe('<p>Build <a href="http://x">done</a></p>');
    expect((await owner.post(`/notifications/templates/not-a-uuid/preview`, {})).status).toBe(400);
  });
});

describeEachEngine('enqueue target matrix', (engine) => {
  let database: TestDatabase;
  let userId: string;
  beforeAll(async () => {
    database = await freshDatabase(engine);
    userId = (
      await database.db.query<{ id: string }>(
        `INSERT INTO users (email, username, hashed_password) VALUES ('m@example.com', 'm', '\\x') RETURNING id`,
      )
    ).rows[0].id;
  });
  afterAll(async () => database?.drop());

  for (const [name, smarthost, inbox, expected] of [
    ['none', '', false, 0],
    ['default only', 'localhost:25', false, 1],
    ['inbox only', '', true, 1],
    ['both', 'localhost:25', true, 2],
  ] as const) {
    it(name, async () => {
      const cfg = testConfig({ email: { smarthost }, notifications: { inbox: { enabled: inbox } } });
      const enq = createEnqueuer({ db: database.db, notifications: cfg.notifications, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger() });
      const [ids] = await enq.enqueueMany([{ userId, templateId: TEMPLATE_TEST_NOTIFICATION, labels: {}, data: { timestamp: name }, createdBy: 'test' }]);
      expect(ids).toHaveLength(expected);
    });
  }
});
