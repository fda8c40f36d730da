// Throttles under concurrency (issue 19): six enqueuers with pools of their own (one server, five
// producers, as replicas would be) fire at one recipient at the same moment. Exactly the limit goes
// out per period, the rest joins the throttle's group and is delivered as one message when the
// period ends: nothing lost, nothing over. Real PostgreSQL only: PGlite is one connection, its
// statements cannot race. Injected clock: no sleeps.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, pgAvailable, type TestDatabase } from '../support/db.js';
import { setupOwner, startTestServer, testConfig, type ApiHelper, type TestServer } from '../support/server.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { ManualClock } from '../support/clock.js';
import { waitFor } from '../support/wait.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { Database } from '../../src/db/database.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createEnqueuer, type Enqueuer } from '../../src/notifications/enqueue.js';
import { TEMPLATE_WORKSPACE_DELETED } from '../../src/notifications/templates/catalogue.js';

const LIMIT = 3;
const SOURCES = 6;
const PER_SOURCE = 4;
const ROUNDS = 3;

describe.skipIf(!pgAvailable())('throttle under concurrency: racing enqueuers send exactly the limit [postgres: PGlite cannot race]', () => {
  let database: TestDatabase;
  let server: TestServer;
  let sink: HttpSink;
  let owner: ApiHelper;
  let ownerId: string;
  const pools: Database[] = [];
  const enqueuers: Enqueuer[] = [];
  const clock = new ManualClock(new Date('2025-03-04T10:00:00Z'));
  const config = { notifications: { method: 'webhook' as const, webhook: { endpoint: '', secret: '' }, fetchInterval: 60_000 } };

  beforeAll(async () => {
    sink = await startHttpSink();
    config.notifications.webhook.endpoint = `${sink.url}/hook`;
    database = await freshDatabase('postgres');
    server = await startTestServer('postgres', { database, now: clock.now, scheduler: clock.scheduler, config });
    ({ api: owner, userId: ownerId } = await setupOwner(server.api));
    const cfg = testConfig(config);
    enqueuers.push(server.enqueuer);
    for (let i = 1; i < SOURCES; i++) {
      const db = openPostgres({ url: database.url!, maxConnections: PER_SOURCE });
      pools.push(db);
      enqueuers.push(createEnqueuer({ db, notifications: cfg.notifications, email: cfg.email, accessUrl: 'http://test.com', log: silentLogger(), now: clock.now }));
    }
    // Every pool's connections open before the race, so that the statements start together.
    await Promise.all(pools.map((p) => Promise.all(Array.from({ length: PER_SOURCE }, () => p.query('SELECT 1')))));
  });
  afterAll(async () => {
    await server?.stop();
    for (const p of pools) await p.close().catch(() => undefined);
    await sink?.close();
    await database?.drop();
  });

  it(`${SOURCES} × ${PER_SOURCE} concurrent enqueues per period, limit ${LIMIT}: exactly ${LIMIT} sent, the rest in one grouped message, ${ROUNDS} periods`, { timeout: 60_000 }, async () => {
    const put = await owner.put(`/notifications/templates/${TEMPLATE_WORKSPACE_DELETED}/grouping`, { window: '0s', throttle: { count: LIMIT, period: '1h' } });
    expect(put.status).toBe(200);
    const webhooks = () => sink.requests.filter((r) => (r.json as any)?.payload?.notification_template_id === TEMPLATE_WORKSPACE_DELETED);
    const total = SOURCES * PER_SOURCE;
    let seen = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const names = Array.from({ length: total }, (_, i) => `r${round}-w${i}`);
      const results = await Promise.all(
        names.map((name, i) =>
          enqueuers[i % SOURCES].enqueueMany([{ userId: ownerId, templateId: TEMPLATE_WORKSPACE_DELETED, labels: { name, reason: 'race', initiator: 'x' }, createdBy: 'test' }]),
        ),
      );
      // Accepted: every event, on both channels (webhook and inbox).
      expect(results.map((r) => r[0]).every((ids) => ids.length === 2)).toBe(true);

      const rows = await server.db.query<{ method: string; status: string; n: number }>(
        `SELECT method::text AS method, status::text AS status, count(*)::int AS n FROM notification_messages
         WHERE notification_template_id = $1 AND carries IS NULL AND payload->'labels'->>'name' LIKE $2 GROUP BY 1, 2 ORDER BY 1, 2`,
        [TEMPLATE_WORKSPACE_DELETED, `r${round}-%`],
      );
      for (const method of ['inbox', 'webhook']) {
        const of = rows.rows.filter((r) => r.method === method);
        expect(of.reduce((s, r) => s + r.n, 0), `${method}: every event in the history`).toBe(total);
        expect(of.find((r) => r.status === 'held')?.n, `${method}: held`).toBe(total - LIMIT);
      }
      await waitFor(() => webhooks().length === seen + LIMIT);

      // The period ends: the held events go out as one message per channel.
      const released = new Promise((r) => server.notifications.releaser.on('released', r));
      clock.advance(3_600_000);
      await released;
      await waitFor(() => webhooks().length === seen + LIMIT + 1);
      const got = webhooks().slice(seen);
      seen = got.length + seen;
      const sent = got.slice(0, LIMIT).map((r) => (r.json as any).payload.labels.name);
      const grouped = got[LIMIT].json as any;
      const carried: string[] = grouped.payload.data.group.events.map((e: any) => e.name);
      expect(grouped.payload.data.group.reason).toBe('throttle');
      expect(carried).toHaveLength(total - LIMIT);
      expect(new Set([...sent, ...carried])).toEqual(new Set(names)); // none lost, none twice
      const groups = await server.db.query<{ method: string; status: string; held_count: number }>(
        `SELECT method::text AS method, status, held_count FROM notification_groups g
         WHERE g.template_id = $1 AND g.opened_at >= $2 ORDER BY method`,
        [TEMPLATE_WORKSPACE_DELETED, new Date(clock.now().getTime() - 3_600_000)],
      );
      expect(groups.rows).toEqual([
        { method: 'inbox', status: 'released', held_count: total - LIMIT },
        { method: 'webhook', status: 'released', held_count: total - LIMIT },
      ]);
      clock.advance(1000);
    }
    expect(webhooks()).toHaveLength(ROUNDS * (LIMIT + 1));
  });
});
