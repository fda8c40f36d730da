import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, type TestDatabase } from '../support/db.js';
import { testConfig } from '../support/server.js';
import type { Queryable, QueryResult } from '../../src/db/database.js';
import { createEnqueuer, type Enqueuer } from '../../src/notifications/enqueue.js';
import { silentLogger } from '../../src/lib/logger.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';
import { maintainMessagePartitions } from '../../src/notifications/partitions.js';
import { listMessages } from '../../src/notifications/messages.js';
import { countUnread, listInbox } from '../../src/notifications/inbox/queries.js';
import { lockAndFetchMessages, lockAndReadMessages, markFailed, markSent } from '../../src/notifications/dispatch/queries.js';
import { PLANNER_SETTINGS } from '../../src/notifications/dispatch/lease.js';

// notification_messages is partitioned by UTC day (0160_message_partitions.sql): the purge drops
// whole days, the daily dedupe holds per partition, and the hot queries stay on indexes.

const DAY = 86_400_000;
/** UTC midnight of today + `d` days. */
const utcDay = (d: number) => new Date(Math.floor(Date.now() / DAY) * DAY + d * DAY);
const partName = (d: number) => `notification_messages_p${utcDay(d).toISOString().slice(0, 10).replace(/-/g, '')}`;

async function partitions(q: Queryable): Promise<string[]> {
  const r = await q.query<{ relname: string }>(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'notification_messages'::regclass ORDER BY c.relname`,
  );
  return r.rows.map((x) => x.relname);
}

describeEachEngine('notification_messages partitions', (engine) => {
  let database: TestDatabase;
  let enq: Enqueuer;
  let alice: string;
  let clock = new Date();
  beforeAll(async () => {
    database = await freshDatabase(engine);
    const users = await database.db.query<{ id: string }>(
      `INSERT INTO users (email, username, name, hashed_password) VALUES ('alice@example.com', 'alice', 'Alice', '\\x') RETURNING id`,
    );
    alice = users.rows[0].id;
    const cfg = testConfig({ email: { smarthost: 'localhost:25' } });
    enq = createEnqueuer({ db: database.db, notifications: cfg.notifications, email: cfg.email, accessUrl: cfg.accessUrl, log: silentLogger(), now: () => clock });
  });
  afterAll(async () => database?.drop());

  const req = (n: string) => ({ userId: alice, templateId: TEMPLATE_TEST_NOTIFICATION, labels: {}, data: { n }, createdBy: 'test' });
  const where = async (id: string) =>
    (await database.db.query<{ t: string }>(`SELECT tableoid::regclass::text AS t FROM notification_messages WHERE id = $1`, [id])).rows[0]?.t;

  it('has a partition per UTC day from the last week to a few days ahead, and a default one', async () => {
    const parts = await partitions(database.db);
    expect(parts).toContain('notification_messages_default');
    for (const d of [-1, 0, 1, 2, 3]) expect(parts).toContain(partName(d));
  });

  it('dedupes within a UTC day and not across its boundary, in day partitions and in the default one', async () => {
    // Just before and just after tomorrow's midnight (UTC): two days, two partitions.
    clock = new Date(utcDay(1).getTime() - 500);
    const [a] = (await enq.enqueueMany([req('midnight')]))[0];
    expect((await enq.enqueueMany([req('midnight')]))[0]).toEqual([]);
    clock = new Date(utcDay(1).getTime() + 500);
    const [b] = (await enq.enqueueMany([req('midnight')]))[0];
    expect(b).toBeTruthy();
    expect((await enq.enqueueMany([req('midnight')]))[0]).toEqual([]);
    expect(await where(a)).toBe(partName(0));
    expect(await where(b)).toBe(partName(1));

    // A day with no partition yet lands in the default partition, deduped the same way.
    clock = new Date(utcDay(5).getTime() + 3_600_000);
    const [c] = (await enq.enqueueMany([req('ahead')]))[0];
    expect(await where(c)).toBe('notification_messages_default');
    expect((await enq.enqueueMany([req('ahead')]))[0]).toEqual([]);
    // Another writer inserting the same content without a hash is refused by the same rule.
    await expect(
      database.db.query(
        `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by, created_at)
         SELECT gen_random_uuid(), notification_template_id, user_id, method, payload, 'other', created_at
         FROM notification_messages WHERE id = $1`,
        [c],
      ),
    ).rejects.toThrow(/dedupe_hash/);

    // Creating that day's partition ahead moves the row in; the dedupe still holds there.
    const made = await maintainMessagePartitions(database.db, { daysAhead: 5 });
    expect(made).toMatchObject({ created: 2 });
    expect(await where(c)).toBe(partName(5));
    expect((await enq.enqueueMany([req('ahead')]))[0]).toEqual([]);
    clock = new Date();
  });

  it('purges days older than a week by dropping their partitions, keeping rows touched within the week', async () => {
    const q = database.db;
    await q.query(`SELECT notification_messages_add_partition(((now() AT TIME ZONE 'UTC')::date - 10))`);
    // 2,000 delivered rows ten days old; one of them retried and finished an hour ago (a straggler);
    // one never touched (pending all along: the reference purges it too).
    await q.query(
      `INSERT INTO notification_messages (id, notification_template_id, user_id, method, status, payload, created_by, created_at, updated_at)
       SELECT gen_random_uuid(), $1, $2, 'smtp', 'sent', jsonb_build_object('i', i), 'old', $3::timestamptz + i * interval '1 second', $3::timestamptz + i * interval '1 second'
       FROM generate_series(1, 2000) AS i`,
      [TEMPLATE_TEST_NOTIFICATION, alice, new Date(utcDay(-10).getTime() + 3_600_000)],
    );
    const straggler = crypto.randomUUID();
    const untouched = crypto.randomUUID();
    await q.query(
      `INSERT INTO notification_messages (id, notification_template_id, user_id, method, status, payload, created_by, created_at, updated_at) VALUES
       ($1, $3, $4, 'smtp', 'sent', '{"s": 1}', 'old', $5, now() - interval '1 hour'),
       ($2, $3, $4, 'smtp', 'pending', '{"s": 2}', 'old', $5, NULL)`,
      [straggler, untouched, TEMPLATE_TEST_NOTIFICATION, alice, new Date(utcDay(-10).getTime() + 7_200_000)],
    );
    // In the default partition (a day that never had one): one untouched for a month, one touched today.
    const oldDefault = crypto.randomUUID();
    const freshDefault = crypto.randomUUID();
    await q.query(
      `INSERT INTO notification_messages (id, notification_template_id, user_id, method, status, payload, created_by, created_at, updated_at) VALUES
       ($1, $3, $4, 'smtp', 'sent', '{"d": 1}', 'old', now() - interval '30 days', now() - interval '30 days'),
       ($2, $3, $4, 'smtp', 'sent', '{"d": 2}', 'old', now() - interval '31 days', now() - interval '2 hours')`,
      [oldDefault, freshDefault, TEMPLATE_TEST_NOTIFICATION, alice],
    );
    expect(await where(straggler)).toBe(partName(-10));
    expect(await where(oldDefault)).toBe('notification_messages_default');

    const r = await maintainMessagePartitions(q);
    expect(r).toMatchObject({ dropped: 1, moved: 1, deleted: 1 });
    const parts = await partitions(q);
    for (const d of [-10, -9, -8]) expect(parts).not.toContain(partName(d));
    for (const d of [-7, -1, 0, 1, 3]) expect(parts).toContain(partName(d));
    // Nothing of the dropped days is left anywhere, dead or alive: their tables are gone.
    for (const d of [-10, -9, -8]) {
      expect((await q.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [partName(d)])).rows[0].t).toBeNull();
    }
    const left = await q.query<{ id: string }>(`SELECT id FROM notification_messages WHERE created_at < now() - interval '8 days' ORDER BY id`);
    expect(left.rows.map((x) => x.id).sort()).toEqual([straggler, freshDefault].sort());
    expect(await where(straggler)).toBe('notification_messages_default');

    // Idempotent; and the straggler goes once it is untouched for a week.
    expect(await maintainMessagePartitions(q)).toMatchObject({ created: 0, dropped: 0, moved: 0, deleted: 0 });
    await q.query(`UPDATE notification_messages SET updated_at = now() - interval '8 days' WHERE id = $1`, [straggler]);
    expect(await maintainMessagePartitions(q)).toMatchObject({ deleted: 1 });
    expect(await where(straggler)).toBeUndefined();
  });

  it('runs on one replica at a time', async () => {
    if (engine !== 'postgres') return; // the embedded engine is one session: nothing can race
    const results = await Promise.all([maintainMessagePartitions(database.db), maintainMessagePartitions(database.db)]);
    // Each either ran or found the other holding the lock; neither failed.
    expect(results.some((x) => x !== undefined)).toBe(true);
  });

  describe('plans with a large history', () => {
    type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Name'?: string; Plans?: PlanNode[] };
    const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];
    /** A Queryable that EXPLAINs each statement instead of running it. */
    function explaining(q: Queryable, plans: PlanNode[]): Queryable {
      return {
        async query<R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> {
          const r = await q.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
          const raw = r.rows[0]['QUERY PLAN'];
          plans.push((typeof raw === 'string' ? JSON.parse(raw) : raw)[0].Plan as PlanNode);
          return { rows: (/count\(\*\)/.test(sql) ? [{ n: 0 }] : []) as R[], rowCount: 0 };
        },
        exec: (sql) => q.exec(sql),
      };
    }
    let big: Set<string>;
    const check = (plans: PlanNode[], label: string) => {
      expect(plans.length, label).toBeGreaterThan(0);
      for (const p of plans) {
        const all = nodes(p);
        const seq = all.filter((n) => n['Node Type'] === 'Seq Scan' && big.has(n['Relation Name'] ?? ''));
        expect(seq.map((n) => n['Relation Name']), `${label}: sequential scan of a big partition`).toEqual([]);
      }
      const indexed = plans.flatMap(nodes).filter((n) => /Index/.test(n['Node Type']));
      expect(indexed.length, `${label}: no index used`).toBeGreaterThan(0);
    };

    beforeAll(async () => {
      const q = database.db;
      // Two days of delivered history (20,000 rows each), a little pending work today, inbox rows.
      for (const d of [-2, -1]) {
        await q.query(
          `INSERT INTO notification_messages (id, notification_template_id, user_id, method, status, payload, created_by, created_at, updated_at)
           SELECT gen_random_uuid(), $1, $2, 'smtp', 'sent', jsonb_build_object('i', i, 'pad', repeat('x', 200)), 'history',
                  $3::timestamptz + i * interval '4 seconds', $3::timestamptz + i * interval '4 seconds'
           FROM generate_series(1, 20000) AS i`,
          [TEMPLATE_TEST_NOTIFICATION, alice, utcDay(d)],
        );
      }
      await q.query(
        `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by, created_at)
         SELECT gen_random_uuid(), $1, $2, 'smtp', jsonb_build_object('p', i), 'pending', now() - i * interval '1 second'
         FROM generate_series(1, 50) AS i`,
        [TEMPLATE_TEST_NOTIFICATION, alice],
      );
      // The inbox of 200 users, 100 rows each.
      await q.query(
        `INSERT INTO users (email, username, name, hashed_password)
         SELECT 'u' || i || '@example.com', 'u' || i, '', '\\x' FROM generate_series(1, 199) AS i`,
      );
      await q.query(
        `WITH u AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM users)
         INSERT INTO inbox_notifications (id, user_id, template_id, title, content, icon, actions, created_at)
         SELECT gen_random_uuid(), u.id, $1, 'title ' || i, 'content', '', '[]', now() - i * interval '1 second'
         FROM generate_series(1, 20000) AS i JOIN u ON u.k = i % 200 + 1`,
        [TEMPLATE_TEST_NOTIFICATION],
      );
      await q.exec('VACUUM ANALYZE notification_messages');
      await q.exec('VACUUM ANALYZE inbox_notifications');
      big = new Set([partName(-2), partName(-1), 'inbox_notifications']);
    }, 120_000);

    it('the delivery history (newest first, with its count) reads an index', async () => {
      const plans: PlanNode[] = [];
      await listMessages(explaining(database.db, plans), { limit: 50, offset: 0 });
      check(plans, 'history');
    });

    it('the inbox page and unread count read indexes', async () => {
      const plans: PlanNode[] = [];
      const q = explaining(database.db, plans);
      await listInbox(q, alice, { templates: [], targets: [], readStatus: 'all' });
      await countUnread(q, alice);
      check(plans, 'inbox');
    });

    it("the grouped path's dedupe probe reads each partition's dedupe index (bytewise collation, 0170)", async () => {
      const plans: PlanNode[] = [];
      // The probe's shape in src/notifications/grouping/hold.ts: the column compared with the hash function's result.
      await explaining(database.db, plans).query(
        `SELECT (SELECT 1 FROM notification_messages x WHERE x.dedupe_hash = ok.hash LIMIT 1) IS NULL AS fresh
         FROM (SELECT notification_message_dedupe_hash($1::uuid, $2::uuid, 'smtp', '{"i": 1}'::jsonb, NULL, $3::timestamptz) AS hash) AS ok`,
        [TEMPLATE_TEST_NOTIFICATION, alice, utcDay(-1)],
      );
      check(plans, 'dedupe probe');
      const used = plans.flatMap(nodes).map((n) => n['Index Name'] ?? '');
      for (const d of [-2, -1]) expect(used, 'dedupe index').toContain(`${partName(d)}_dedupe_hash`);
      // A partition made after the migration compares the hash bytewise too.
      const later = utcDay(40);
      await database.db.query(`SELECT notification_messages_add_partition($1::date)`, [later.toISOString().slice(0, 10)]);
      try {
        const coll = await database.db.query<{ c: string }>(
          `SELECT collation_name AS c FROM information_schema.columns WHERE table_name = $1 AND column_name = 'dedupe_hash'`,
          [partName(40)],
        );
        expect(coll.rows[0].c).toBe('C');
      } finally {
        await database.db.exec(`DROP TABLE ${partName(40)}`);
      }
    });

    it('the lease statements read the dispatchable and primary-key indexes', async () => {
      const plans: PlanNode[] = [];
      if (engine === 'postgres') {
        // As the lease session runs them (src/notifications/dispatch/lease.ts).
        const s = await database.db.session();
        try {
          await s.query(PLANNER_SETTINGS);
          await lockAndReadMessages(explaining(s, plans), { maxAttempts: 5, count: 20, exclude: [] });
        } finally {
          await s.close();
        }
      } else {
        await lockAndFetchMessages(explaining(database.db, plans), { maxAttempts: 5, count: 20, exclude: [] });
      }
      check(plans, 'lease');
      const dispatchable = new Set(
        (await database.db.query<{ name: string }>(
          `SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'idx_notification_messages_dispatchable'::regclass`,
        )).rows.map((x) => x.name),
      );
      expect(plans.flatMap(nodes).some((n) => dispatchable.has(n['Index Name'] ?? '')), 'dispatchable index').toBe(true);
    });

    it('a result write and the lease\'s read of locked messages touch only the message\'s own partition (generic plans)', async () => {
      // As the statements run: prepared once, generic plan (PGlite forces it; a server chooses
      // it after five runs). EXPLAIN ANALYZE of EXECUTE, in a transaction rolled back: each
      // partition the plan scans is listed, and those pruned at run time show no loop.
      const s = await database.db.session();
      const scanned: string[][] = [];
      let n = 0;
      const text = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
      // Untyped literals: PREPARE gave each parameter its type.
      const literal = (v: unknown): string =>
        v === null || v === undefined ? 'NULL'
        : typeof v === 'number' ? String(v)
        : `'${(Array.isArray(v) ? `{${v.map((x) => (x == null ? 'NULL' : `"${text(x).replace(/["\\]/g, '\\$&')}"`)).join(',')}}` : text(v)).replace(/'/g, "''")}'`;
      const analyzing: Queryable = {
        async query<R>(sql: string, params: unknown[] = []): Promise<QueryResult<R>> {
          const name = `plan_check_${n++}`;
          await s.query(`PREPARE ${name} AS ${sql}`);
          const r = await s.query<{ 'QUERY PLAN': unknown }>(
            `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE ${name}${params.length ? `(${params.map(literal).join(', ')})` : ''}`,
          );
          const raw = r.rows[0]['QUERY PLAN'];
          const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw)[0].Plan as PlanNode & { 'Actual Loops'?: number };
          scanned.push(
            nodes(plan)
              .filter((x) => /^notification_messages_(p\d{8}|default)$/.test(x['Relation Name'] ?? '') && ((x as { 'Actual Loops'?: number })['Actual Loops'] ?? 0) > 0)
              .map((x) => x['Relation Name']!),
          );
          return { rows: [] as R[], rowCount: 0 };
        },
        exec: (sql) => s.exec(sql),
      };
      try {
        await s.query('SET plan_cache_mode = force_generic_plan');
        const [m] = (await s.query<{ id: string; created_at: string }>(
          `SELECT id, created_at::text AS created_at FROM notification_messages WHERE status = 'pending' LIMIT 1`,
        )).rows;
        const history = (await s.query<{ id: string; created_at: string }>(
          `SELECT id, created_at::text AS created_at FROM ${partName(-1)} LIMIT 1`,
        )).rows[0];
        await s.query('BEGIN');
        try {
          await markSent(analyzing, [{ ...m, at: new Date() }]);
          await markFailed(analyzing, [{ ...history, at: new Date(), status: 'temporary_failure', reason: 'x' }], { maxAttempts: 5, retryIntervalSeconds: 10 });
        } finally {
          await s.query('ROLLBACK');
        }
        if (engine === 'postgres') {
          // The lease's read of the rows it locked (notification_messages_read_locked, 0180): its
          // plan is inside the function, so its scans are counted instead (the session's statistics
          // not yet reported, which also hold the statements before: the difference).
          const counts = async () =>
            new Map((await s.query<{ relname: string; n: number }>(
              `SELECT relname, (seq_scan + idx_scan)::int AS n FROM pg_stat_xact_user_tables WHERE relname ~ '^notification_messages_(p\\d{8}|default)$'`,
            )).rows.map((x) => [x.relname, x.n]));
          await s.query('BEGIN');
          try {
            const before = await counts();
            for (let i = 0; i < 6; i++) {
              await s.query(`SELECT count(*) FROM notification_messages_read_locked($1::uuid[], $2::timestamptz[])`, [[m.id], [m.created_at]]);
            }
            const after = await counts();
            scanned.push([...after].filter(([t, n]) => n > (before.get(t) ?? 0)).map(([t]) => t));
          } finally {
            await s.query('ROLLBACK');
          }
        }
        await s.query('RESET plan_cache_mode');
      } finally {
        await s.close();
      }
      expect(scanned).toEqual([[partName(0)], [partName(-1)], ...(engine === 'postgres' ? [[partName(0)]] : [])]);
    });

    it('an enqueue looks its user up by key among 20,000 users, instead of hashing the whole table', async () => {
      const q = database.db;
      await q.query(
        `INSERT INTO users (email, username, name, hashed_password)
         SELECT 'many' || i || '@example.com', 'many' || i, '', '\\x' FROM generate_series(1, 20000) AS i`,
      );
      await q.exec('ANALYZE users');
      await enq.enqueueMany([req('cache')]); // fills the template and user caches: the next call takes the one-statement path
      const plans: PlanNode[] = [];
      await enq.enqueueMany([req('plan')], explaining(q, plans));
      expect(plans).toHaveLength(1);
      const onUsers = nodes(plans[0]).filter((n) => n['Relation Name'] === 'users');
      expect(onUsers.map((n) => n['Node Type'])).toEqual(['Index Scan']);
      expect(onUsers[0]['Index Name']).toBe('users_pkey');
    });
  });
});
