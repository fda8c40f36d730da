// The dispatcher as a state machine with an injected clock and scheduler: its modes and lifecycle
// events, and retry timing (issue 15 item 9: every retry due time wakes it, not only the earliest).
// Time moves only through ManualClock.advance; nothing here sleeps.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { testConfig } from '../support/server.js';
import { ManualClock } from '../support/clock.js';
import { waitFor } from '../support/wait.js';
import { Dispatcher, type DispatcherEvents, type DispatcherState } from '../../src/notifications/dispatch/dispatcher.js';
import { createEnqueuer } from '../../src/notifications/enqueue.js';
import { createNotificationMetrics } from '../../src/notifications/metrics.js';
import { silentLogger } from '../../src/lib/logger.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import type { DeliveryMethod, DeliveryResult, PreparedMessage } from '../../src/notifications/types.js';

const HOUR = 3_600_000;

/** Resolves once `n` failure results have been written (they may go in more than one write). */
function flushedFailures(d: Dispatcher, n: number): Promise<void> {
  let seen = 0;
  return d.next('flushed', (e) => (seen += e.failed) >= n).then(() => undefined);
}

describeEachEngine('dispatcher state machine', (engine) => {
  let database: TestDatabase;
  let userId: string;
  let dispatcher: Dispatcher | undefined;
  /** Per message label `n`: the results of its attempts, in order (then ok). */
  let script: Record<string, DeliveryResult[]> = {};
  const delivered: PreparedMessage[] = [];
  const cfg = testConfig({
    notifications: { method: 'webhook', webhook: { endpoint: 'http://receiver.test/', secret: '' }, inbox: { enabled: false }, fetchInterval: HOUR, maxSendAttempts: 5 },
  });
  const method: DeliveryMethod = {
    name: 'webhook',
    async deliver(msg) {
      delivered.push(msg);
      return script[msg.payload.labels.n]?.shift() ?? { ok: true };
    },
  };

  const build = (clock: ManualClock, over: { notifyGatherMs?: number } = {}) =>
    new Dispatcher({
      ...over,
      db: database.db,
      config: cfg.notifications,
      accessUrl: cfg.accessUrl,
      methods: { webhook: method },
      metrics: createNotificationMetrics(new Registry()),
      log: silentLogger(),
      clock: clock.now,
      scheduler: clock.scheduler,
    });
  const enqueue = async (n: string) => {
    const enq = createEnqueuer({ db: database.db, notifications: cfg.notifications, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger() });
    const [[id]] = await enq.enqueueMany([{ userId, templateId: TEMPLATE_TEST_NOTIFICATION, labels: { n }, createdBy: 'test' }]);
    return id;
  };
  const status = async (id: string) =>
    (await database.db.query<{ status: string; attempt_count: number }>(`SELECT status::text AS status, attempt_count FROM notification_messages WHERE id = $1`, [id])).rows[0];

  beforeAll(async () => {
    database = await freshDatabase(engine);
    const u = await database.db.query<{ id: string }>(`INSERT INTO users (email, username, hashed_password) VALUES ('d@example.com', 'd', '\\x') RETURNING id`);
    userId = u.rows[0].id;
  });
  afterEach(async () => {
    await dispatcher?.stop();
    dispatcher = undefined;
    script = {};
    delivered.length = 0;
    await database.db.query(`DELETE FROM notification_messages`);
    await database.db.query(`DELETE FROM site_configs WHERE key = 'notifications_settings'`);
  });
  afterAll(async () => database?.drop());

  it('moves idle → running ⇄ paused → draining → stopped, emitting each change', async () => {
    const clock = new ManualClock();
    const d = (dispatcher = build(clock));
    const seen: DispatcherEvents['state'][] = [];
    const paused: DispatcherEvents['paused'][] = [];
    let resumed = 0;
    d.on('state', (e) => seen.push(e));
    d.on('paused', (e) => paused.push(e));
    d.on('resumed', () => resumed++);
    expect(d.state).toBe<DispatcherState>('idle');
    await d.start();
    d.pause();
    const woken = d.next('wake', (e) => e.reason === 'notify');
    const id = await enqueue('while-paused');
    // Woken by the NOTIFY while paused: it leases nothing.
    await woken;
    expect((await status(id)).status).toBe('pending');
    const done = d.next('delivered', (e) => e.id === id);
    d.resume();
    await done;
    await d.stop();
    expect(seen.map((e) => `${e.from}→${e.to}`)).toEqual(['idle→running', 'running→paused', 'paused→running', 'running→draining', 'draining→stopped']);
    expect(paused).toEqual([{ by: 'local' }]);
    expect(resumed).toBe(1);
    // stop() wrote the result before it resolved.
    expect(await status(id)).toEqual({ status: 'sent', attempt_count: 1 });
    await expect(d.start()).rejects.toThrow(/closed/);
  });

  it('follows the deployment-wide pause setting', async () => {
    const d = (dispatcher = build(new ManualClock()));
    await database.db.query(`INSERT INTO site_configs (key, value) VALUES ('notifications_settings', '{"notifier_paused":true}')`);
    const paused = d.next('paused');
    await d.start();
    expect(await paused).toEqual({ by: 'setting' });
    const woken = d.next('wake', (e) => e.reason === 'notify');
    const id = await enqueue('paused-by-setting');
    await woken;
    expect(d.state).toBe('paused');
    await database.db.query(`UPDATE site_configs SET value = '{"notifier_paused":false}' WHERE key = 'notifications_settings'`);
    const resumed = d.next('resumed');
    await database.db.query(`SELECT pg_notify('herald_notifications_enqueued', 'settings')`);
    await resumed;
    await d.next('delivered', (e) => e.id === id);
  });

  it('with notifyGatherMs, the NOTIFY wake-ups that come within it go in one lease', async () => {
    const d = (dispatcher = build(new ManualClock(), { notifyGatherMs: 1000 }));
    const fetched: number[] = [];
    d.on('fetched', (e) => fetched.push(e.count));
    await d.start();
    await waitFor(() => fetched.length === 1); // the start's lease, at once
    // Three enqueues (three NOTIFYs) and five more wake-ups, all within the window.
    const ids = [await enqueue('g1'), await enqueue('g2'), await enqueue('g3')];
    for (let i = 0; i < 5; i++) d.wake('notify');
    await waitFor(() => delivered.length === 3);
    await d.stop();
    // Without the window the first wake-up leases at once and the others ask for more: two leases or more.
    expect(fetched).toEqual([0, 3]);
    for (const id of ids) expect((await status(id)).status).toBe('sent');
  });

  it('emits leased, failed (with the due time), retried and delivered, then flushed', async () => {
    const clock = new ManualClock(Date.now() - 60_000);
    const d = (dispatcher = build(clock));
    const log: string[] = [];
    d.on('leased', (e) => log.push(`leased ${e.messages.map((m) => m.attempt).join(',')}`));
    d.on('failed', (e) => log.push(`failed ${e.status} ${e.retryAt!.getTime() - clock.now().getTime()}`));
    d.on('retried', (e) => log.push(`retried ${e.attempt}`));
    d.on('delivered', (e) => log.push(`delivered ${e.attempt}`));
    script = { a: [{ ok: false, retryable: true, error: 'try later', retryAfterMs: 1500 }] };
    await d.start();
    const id = await enqueue('a');
    await d.next('flushed', (e) => e.failed === 1);
    expect(await status(id)).toMatchObject({ status: 'temporary_failure', attempt_count: 1 });
    const sent = d.next('flushed', (e) => e.sent === 1);
    clock.advance(1600);
    await sent;
    expect(log).toEqual(['leased 0', 'failed temporary_failure 1500', 'leased 1', 'retried 1', 'delivered 1']);
    expect(await status(id)).toMatchObject({ status: 'sent', attempt_count: 2 });
  });

  // Issue 15 item 9: a pending retry timer used to swallow every later due time, so a retry due in
  // 3 s waited for the safety poll (here an hour). The clock starts a minute behind the database,
  // so a row is due in the database as soon as the dispatcher wakes for it.
  it('wakes at every retry due time, not only the earliest', async () => {
    const clock = new ManualClock(Date.now() - 60_000);
    const d = (dispatcher = build(clock));
    const retryWakes: number[] = [];
    const start = clock.now().getTime();
    d.on('wake', (e) => {
      if (e.reason === 'retry') retryWakes.push(clock.now().getTime() - start);
    });
    script = {
      early: [{ ok: false, retryable: true, error: 'busy', retryAfterMs: 2000 }],
      late: [{ ok: false, retryable: true, error: 'busy', retryAfterMs: 3000 }, { ok: false, retryable: true, error: 'busy', retryAfterMs: 3000 }],
    };
    await d.start();
    // Enqueued while paused and leased in one batch on resume: no NOTIFY wakes it after that.
    d.pause();
    const early = await enqueue('early');
    const late = await enqueue('late');
    const failed = flushedFailures(d, 2);
    d.resume();
    await failed;
    // Due at +2 s (early) and +3 s (late). Both rows are past due in the database, so the wake at
    // +2 s takes both; late fails again, due at +5 s.
    const early2 = d.next('delivered', (e) => e.id === early);
    const late2 = d.next('failed', (e) => e.id === late && e.attempt === 1);
    let written = 0;
    const bothWritten = d.next('flushed', (e) => (written += e.sent + e.failed) >= 2);
    clock.advance(2100);
    await Promise.all([early2, late2, bothWritten]);
    const late3 = Promise.all([d.next('delivered', (e) => e.id === late), d.next('flushed', (e) => e.sent === 1)]);
    // The second failure was recorded at +2.1 s (where advance left the clock): due at +5.1 s.
    clock.advance(3100);
    await late3;
    expect(retryWakes).toEqual([2020, 3020, 5120]);
    expect(await status(late)).toMatchObject({ status: 'sent', attempt_count: 3 });
  });

  it('wakes for a retry due after a later one was armed first', async () => {
    const clock = new ManualClock(Date.now() - 60_000);
    const d = (dispatcher = build(clock));
    script = { slow: [{ ok: false, retryable: true, error: 'busy', retryAfterMs: 50_000 }], soon: [{ ok: false, retryable: true, error: 'busy', retryAfterMs: 1000 }] };
    await d.start();
    d.pause();
    const slow = await enqueue('slow');
    const soon = await enqueue('soon');
    const failed = flushedFailures(d, 2);
    d.resume();
    await failed;
    const delivered = d.next('delivered', (e) => e.id === soon);
    clock.advance(1100);
    await delivered;
    // The wake at +1 s took the slow one too (it is past due in the database).
    await waitFor(async () => (await status(slow)).status === 'sent');
  });
  it('leases a backlog in batches that grow past twice the lease count, delivering at most the lease count at once', async () => {
    const small = { ...cfg.notifications, leaseCount: 2 };
    let inflight = 0;
    let most = 0;
    const seen = new Set<string>();
    let twice = 0;
    const counting: DeliveryMethod = {
      name: 'webhook',
      async deliver(msg) {
        inflight++;
        most = Math.max(most, inflight);
        await new Promise<void>((r) => setImmediate(r));
        inflight--;
        const n = String(msg.payload.labels.n);
        if (seen.has(n)) twice++;
        seen.add(n);
        return { ok: true };
      },
    };
    const enq = createEnqueuer({ db: database.db, notifications: small, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger() });
    await enq.enqueueMany(Array.from({ length: 80 }, (_, i) => ({ userId, templateId: TEMPLATE_TEST_NOTIFICATION, labels: { n: `backlog-${i}` }, createdBy: 'test' })));
    const clock = new ManualClock();
    const d = (dispatcher = new Dispatcher({
      db: database.db,
      config: small,
      accessUrl: cfg.accessUrl,
      methods: { webhook: counting },
      metrics: createNotificationMetrics(new Registry()),
      log: silentLogger(),
      clock: clock.now,
      scheduler: clock.scheduler,
    }));
    const sizes: number[] = [];
    d.on('leased', (e) => sizes.push(e.messages.length));
    await d.start();
    await waitFor(async () => (await database.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM notification_messages WHERE status = 'sent'`)).rows[0].n === 80, 30_000);
    expect(seen.size).toBe(80);
    expect(twice).toBe(0);
    expect(most).toBeLessThanOrEqual(2);
    expect(Math.max(...sizes)).toBeGreaterThan(2 * 2);
  });
});
