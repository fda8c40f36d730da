// Burst grouping across replicas (issue 19), in-process: three servers on one PostgreSQL share a
// group; one is "killed" in the middle of the window (its releaser stopped, its dispatcher paused,
// its database sessions terminated). The others release the group: no double group, no lost
// member. Injected clock: no sleeps. The variant with real processes and SIGKILL is
// replica-processes.test.ts. Not on PGlite: it is one process with one server (three servers on one
// embedded database would share its one session and its locks); storm.test.ts covers it in-process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { freshDatabase, pgAvailable, type TestDatabase } from '../support/db.js';
import { createUser, setupOwner, startTestServer, type ApiHelper, type TestServer } from '../support/server.js';
import { openPostgres } from '../../src/db/postgres.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { ManualClock } from '../support/clock.js';
import { waitFor } from '../support/wait.js';
import { TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED } from '../../src/notifications/templates/catalogue.js';
import { buildFailed, stormItems } from './helpers.js';

const EVENTS = 100;

describe.skipIf(!pgAvailable())('burst grouping with 3 in-process replicas, one stopped mid-window [postgres]', () => {
  let database: TestDatabase;
  let sink: HttpSink;
  const replicas: TestServer[] = [];
  let owner: ApiHelper;
  let admins: { id: string }[];
  const clock = new ManualClock(new Date('2025-03-04T10:00:00Z'));
  const withApp = (url: string, name: string) => `${url}${url.includes('?') ? '&' : '?'}application_name=${name}`;

  beforeAll(async () => {
    sink = await startHttpSink();
    database = await freshDatabase('postgres');
    for (const name of ['noise_a', 'noise_b', 'noise_c']) {
      const db = openPostgres({ url: withApp(database.url!, name) });
      replicas.push(
        await startTestServer('postgres', {
          database: { ...database, db, drop: () => db.close() },
          now: clock.now,
          scheduler: clock.scheduler,
          config: { notifications: { method: 'webhook', webhook: { endpoint: sink.url + '/hook', secret: '' }, fetchInterval: 60_000 } },
        }),
      );
    }
    ({ api: owner } = await setupOwner(replicas[0].api));
    admins = await Promise.all([0, 1, 2].map(() => createUser(owner, ['template-admin'])));
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop().catch(() => undefined);
    await sink?.close();
    await database?.drop();
  });

  it(`${EVENTS} failures enqueued on 3 replicas, the group's opener killed mid-window: one group, nothing lost`, { timeout: 60_000 }, async () => {
    const [a, b, c] = replicas;
    const items = stormItems(EVENTS, 10);
    const hookFor = (uid: string) =>
      sink.requests.filter((r) => (r.json as any)?.payload?.user_id === uid && (r.json as any).payload.notification_template_id === TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED);
    // The first three failures race on all three replicas at once: exactly one opens each group.
    await Promise.all(items.slice(0, 3).map((it, i) => replicas[i].enqueuer.enqueueMany(admins.map((ad) => buildFailed(ad.id, it.ws, it.build)))));
    await waitFor(() => admins.every((ad) => hookFor(ad.id).length === 1));
    let next = 3;
    const step = async (alive: TestServer[]) => {
      clock.advance(600);
      const batch = items.slice(next, next + alive.length);
      next += batch.length;
      await Promise.all(batch.map((it, i) => alive[i].enqueuer.enqueueMany(admins.map((ad) => buildFailed(ad.id, it.ws, it.build)))));
    };
    while (next < 50) await step([a, b, c]);

    // Kill replica A: its timers die with it, and its database sessions are terminated.
    await a.notifications.releaser.stop();
    a.notifications.dispatcher.pause();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const killed = await admin.query(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = 'noise_a'`);
    await admin.end();
    expect(killed.rows[0].n).toBeGreaterThan(0);
    while (next < EVENTS) await step([b, c]);

    const released = new Promise((r) => b.notifications.releaser.on('released', r));
    const releasedC = new Promise((r) => c.notifications.releaser.on('released', r));
    clock.advance(5 * 60_000);
    await Promise.race([released, releasedC]);
    await waitFor(() => admins.every((ad) => hookFor(ad.id).length >= 2), 15_000);

    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    try {
      const groups = await check.query(`SELECT user_id, method::text, status, held_count FROM notification_groups ORDER BY user_id, method`);
      expect(groups.rows).toHaveLength(admins.length * 2); // one group per admin and channel: never two
      for (const g of groups.rows) expect(g).toMatchObject({ status: 'released', held_count: EVENTS - 1 });
      const left = await check.query(`SELECT count(*)::int AS n FROM notification_messages WHERE status = 'held'`);
      expect(left.rows[0].n).toBe(0);
      const events = await check.query(
        `SELECT count(*)::int AS n FROM notification_messages WHERE notification_template_id = $1 AND carries IS NULL AND status IN ('sent', 'grouped')`,
        [TEMPLATE_WORKSPACE_MANUAL_BUILD_FAILED],
      );
      expect(events.rows[0].n).toBe(EVENTS * admins.length * 2);
    } finally {
      await check.end();
    }
    for (const ad of admins) {
      const hooks = hookFor(ad.id);
      expect(hooks).toHaveLength(2);
      const grouped = hooks[1].json as any;
      expect(grouped.payload.data.group.count).toBe(EVENTS - 1);
      expect(grouped.body).toMatch(new RegExp(`^${EVENTS - 1} more builds failed: .* and ${EVENTS - 1 - 25} more\\.$`));
      expect(new Set(grouped.payload.data.group.events.map((e: any) => e.name))).toEqual(new Set(items.map((x) => x.name).filter((n) => n !== (hooks[0].json as any).payload.labels.name + ' #' + (hooks[0].json as any).payload.labels.workspace_build_number)));
    }
  });
});
