// Leases are session-level advisory locks (src/notifications/dispatch/lease.ts): these tests check
// that two dispatchers never hold the same message, that a lease statement takes no lock it does not
// return, and that a lost session frees its messages at once and re-takes them when it can.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine, freshDatabase, pgAvailable, type TestDatabase } from '../support/db.js';
import type { Database } from '../../src/db/database.js';
import { MessageLocks } from '../../src/notifications/dispatch/lease.js';
import { MESSAGE_LOCK_CLASS, markFailed, markSent } from '../../src/notifications/dispatch/queries.js';
import { listMessages } from '../../src/notifications/messages.js';
import { silentLogger } from '../../src/lib/logger.js';
import { TEMPLATE_TEST_NOTIFICATION } from '../../src/notifications/templates/catalogue.js';

const MAX_ATTEMPTS = 5;

async function seed(database: TestDatabase, n: number): Promise<string[]> {
  const user = await database.db.query<{ id: string }>(
    `INSERT INTO users (email, username, hashed_password) VALUES ($1, $1, '\\x') RETURNING id`,
    [`u${Math.random().toString(36).slice(2, 10)}`],
  );
  const r = await database.db.query<{ id: string }>(
    `INSERT INTO notification_messages (id, notification_template_id, user_id, method, payload, created_by, created_at)
     SELECT gen_random_uuid(), $1, $2, 'webhook', jsonb_build_object('i', i), 'test', now() - make_interval(secs => $3 - i)
     FROM generate_series(1, $3) AS i
     RETURNING id`,
    [TEMPLATE_TEST_NOTIFICATION, user.rows[0].id, n],
  );
  return r.rows.map((x) => x.id);
}

const acquire = async (locks: MessageLocks, count: number) =>
  (await locks.acquire({ maxAttempts: MAX_ATTEMPTS, count })).map((m) => m.id);

describeEachEngine('message leases', (engine) => {
  let database: TestDatabase;
  let locks: MessageLocks;
  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterEach(async () => {
    await locks?.close();
    await database.db.query('DELETE FROM notification_messages');
  });
  afterAll(async () => database?.drop());

  it('leases oldest first and never leases a message it still holds', async () => {
    const ids = await seed(database, 12);
    locks = new MessageLocks(database.db, silentLogger());
    const first = await acquire(locks, 5);
    expect(first).toEqual(ids.slice(0, 5));
    const second = await acquire(locks, 5);
    expect(second).toEqual(ids.slice(5, 10));
    expect(locks.held).toBe(10);
    await locks.release(first);
    // Released but still pending (no result was written): leasable again.
    expect(await acquire(locks, 10)).toEqual([...first, ...ids.slice(10)]);
  });

  it('skips messages whose result was written before they were read', async () => {
    const ids = await seed(database, 4);
    await database.db.query(`UPDATE notification_messages SET status = 'sent' WHERE id = $1`, [ids[1]]);
    await database.db.query(
      `UPDATE notification_messages SET status = 'temporary_failure', next_retry_after = now() + interval '1 hour' WHERE id = $1`,
      [ids[2]],
    );
    locks = new MessageLocks(database.db, silentLogger());
    expect(await acquire(locks, 10)).toEqual([ids[0], ids[3]]);
    expect(locks.held).toBe(2);
  });

  it('shows the messages being delivered as leased in the delivery history', async () => {
    const ids = await seed(database, 3);
    locks = new MessageLocks(database.db, silentLogger());
    expect(await acquire(locks, 2)).toEqual(ids.slice(0, 2));
    const all = await listMessages(database.db, { limit: 10, offset: 0 });
    expect(Object.fromEntries(all.rows.map((r) => [r.id, r.status]))).toEqual({ [ids[0]]: 'leased', [ids[1]]: 'leased', [ids[2]]: 'pending' });
    const leased = await listMessages(database.db, { status: 'leased', limit: 10, offset: 0 });
    expect(leased.count).toBe(2);
    expect(leased.rows.map((r) => r.id).sort()).toEqual(ids.slice(0, 2).sort());
    await locks.release(ids.slice(0, 2));
    expect((await listMessages(database.db, { status: 'pending', limit: 10, offset: 0 })).count).toBe(3);
  });

  it('writes results without waiting for the WAL flush, for their own statement only', async () => {
    const ids = await seed(database, 2);
    // As a lease reads it: the text of the timestamp, microseconds included.
    const rows = (await database.db.query<{ id: string; created_at: string }>('SELECT id, created_at::text FROM notification_messages WHERE id = ANY($1::uuid[])', [ids])).rows;
    const at = (id: string) => rows.find((r) => r.id === id)!.created_at;
    const s = await database.db.session();
    try {
      await markSent(s, [{ id: ids[0], created_at: at(ids[0]), at: new Date() }]);
      await markFailed(s, [{ id: ids[1], created_at: at(ids[1]), at: new Date(), status: 'permanent_failure', reason: 'refused' }], { maxAttempts: MAX_ATTEMPTS, retryIntervalSeconds: 1 });
      // The connection goes back to the pool: whatever runs on it next (an enqueue) commits durably.
      expect((await s.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0].synchronous_commit).toBe('on');
    } finally {
      await s.close();
    }
    const all = await listMessages(database.db, { limit: 10, offset: 0 });
    expect(Object.fromEntries(all.rows.map((r) => [r.id, r.status]))).toEqual({ [ids[0]]: 'sent', [ids[1]]: 'permanent_failure' });
    // The write's own transaction commits with it off: seen from inside a transaction (the dispatcher
    // writes autocommitted, where that transaction is the statement's).
    const [third] = await seed(database, 1);
    const created = (await database.db.query<{ created_at: string }>('SELECT created_at::text FROM notification_messages WHERE id = $1', [third])).rows[0].created_at;
    const inside = await database.db.tx(async (q) => {
      await markSent(q, [{ id: third, created_at: created, at: new Date() }]);
      return (await q.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0].synchronous_commit;
    });
    expect(inside).toBe('off');
  });

  it('takes over a legacy row an older version left `leased` once its row lease has run out', async () => {
    const [id] = await seed(database, 1);
    await database.db.query(
      `UPDATE notification_messages SET status = 'leased', leased_until = now() + interval '1 minute' WHERE id = $1`,
      [id],
    );
    locks = new MessageLocks(database.db, silentLogger());
    expect(await acquire(locks, 10)).toEqual([]);
    await database.db.query(`UPDATE notification_messages SET leased_until = now() - interval '1 second' WHERE id = $1`, [id]);
    expect(await acquire(locks, 10)).toEqual([id]);
  });
});

describe.skipIf(!pgAvailable())('message leases across sessions [postgres]', () => {
  let database: TestDatabase;
  const open: MessageLocks[] = [];
  const dispatcher = () => {
    const l = new MessageLocks(database.db, silentLogger());
    open.push(l);
    return l;
  };
  const advisoryLocks = async () =>
    (
      await database.db.query<{ pid: number; n: number }>(
        `SELECT pid, count(*)::int AS n FROM pg_locks
         WHERE locktype = 'advisory' AND classid = $1::bigint::oid AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         GROUP BY pid ORDER BY n`,
        [MESSAGE_LOCK_CLASS],
      )
    ).rows.map((r) => r.n);

  beforeAll(async () => {
    database = await freshDatabase('postgres');
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((l) => l.close()));
    await database.db.query('DELETE FROM notification_messages');
  });
  afterAll(async () => database?.drop());

  it('gives two dispatchers disjoint messages and takes exactly the locks it returns', async () => {
    const ids = await seed(database, 40);
    const a = dispatcher();
    const b = dispatcher();
    const [x, y] = await Promise.all([acquire(a, 15), acquire(b, 15)]);
    expect(x).toHaveLength(15);
    expect(y).toHaveLength(15);
    expect(x.filter((id) => y.includes(id))).toEqual([]);
    expect(await advisoryLocks()).toEqual([15, 15]);
    const rest = await acquire(dispatcher(), 40);
    expect(rest.sort()).toEqual(ids.filter((id) => !x.includes(id) && !y.includes(id)).sort());
  });

  it('reads the rows it locked with the plan it keeps for the session, not one made per lease (0190)', async () => {
    // PL/pgSQL's plan cache re-planned the read for every lease (its ids as a constant array made a
    // plan of their own look cheaper): a tenth of the machine's CPU at 200 notifications a second
    // (docs/performance.md, "Eighth round"). The function forces the generic plan while it runs.
    const r = await database.db.query<{ config: string[] | null }>(
      `SELECT proconfig AS config FROM pg_proc WHERE oid = 'notification_messages_read_locked(uuid[], timestamptz[])'::regprocedure`,
    );
    expect(r.rows[0].config).toEqual(['plan_cache_mode=force_generic_plan']);
    // And the session's own setting is left as it was.
    const s = await database.db.session();
    try {
      await s.query(`SELECT count(*) FROM notification_messages_read_locked($1::uuid[], $2::timestamptz[])`, [[crypto.randomUUID()], [new Date()]]);
      expect((await s.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode')).rows[0].plan_cache_mode).toBe('auto');
    } finally {
      await s.close();
    }
  });

  it('walks the queue in index order even when the statistics say the table is empty', async () => {
    await database.db.query('VACUUM ANALYZE notification_messages');
    await seed(database, 5000);
    const entriesRead = async () =>
      (
        await database.db.query<{ n: number }>(
          // The table is partitioned by day (0160): the index's entries are read in its partitions' indexes.
          `SELECT COALESCE(sum(idx_tup_read), 0)::int AS n FROM pg_stat_user_indexes
           WHERE indexrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'idx_notification_messages_dispatchable'::regclass)`,
        )
      ).rows[0].n;
    const before = await entriesRead();
    const a = dispatcher();
    expect(await acquire(a, 10)).toHaveLength(10);
    await a.close(); // the session reports its statistics when it ends
    // An ordered index scan stops after the 10 rows it needs; a bitmap scan (then a sort) reads the
    // index entry of every pending message.
    await expect.poll(async () => (await entriesRead()) - before).toBeGreaterThan(0);
    expect((await entriesRead()) - before).toBeLessThan(100);
  });

  it('releases the locks of committed messages with its next lease, or soon without one', async () => {
    const ids = await seed(database, 6);
    const a = dispatcher();
    expect(await acquire(a, 2)).toEqual(ids.slice(0, 2));
    await database.db.query(`UPDATE notification_messages SET status = 'sent' WHERE id = ANY($1::uuid[])`, [ids.slice(0, 2)]);
    await a.release(ids.slice(0, 2), { committed: true });
    expect(a.held).toBe(0);
    // The next lease statement drops them and takes the new ones.
    expect(await acquire(a, 2)).toEqual(ids.slice(2, 4));
    expect(await advisoryLocks()).toEqual([2]);
    // A message released as committed but due again (still pending here) is leased again by the
    // same statement and locked once: a plain release then leaves no lock behind.
    await a.release(ids.slice(2, 4), { committed: true });
    expect(await acquire(a, 3)).toEqual(ids.slice(2, 5));
    expect(await advisoryLocks()).toEqual([3]);
    await a.release(ids.slice(2, 5));
    expect(await advisoryLocks()).toEqual([]);
    // Without a lease, the locks go by themselves.
    expect(await acquire(a, 1)).toEqual([ids[2]]);
    await a.release([ids[2]], { committed: true });
    await expect.poll(advisoryLocks).toEqual([]);
  });

  it('does not lease a message another replica finished after the lease statement started and before it took the lock', async () => {
    // The lease statement's snapshot is taken when it starts; a message finished by another replica
    // (result committed, lock released) after that and before this statement tries its lock is still
    // pending in that snapshot, and its lock is free. The read of the locked rows must see the result.
    // To hold the statement between its snapshot and its locks, its session resolves site_configs
    // (read by the lease statement before any candidate is locked) to a view that first waits on an
    // advisory lock this test holds.
    const ids = await seed(database, 3);
    const HOOK = 987_654;
    await database.db.exec(`
      CREATE SCHEMA lease_race;
      CREATE FUNCTION lease_race.configs_after_wait() RETURNS SETOF public.site_configs LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock_shared(${HOOK}, 1);
        RETURN QUERY SELECT * FROM public.site_configs;
      END $$;
      CREATE VIEW lease_race.site_configs AS SELECT * FROM lease_race.configs_after_wait();`);
    const hooked: Database = Object.create(database.db, {
      session: {
        value: async () => {
          const s = await database.db.session();
          await s.query('SET search_path = lease_race, public');
          return s;
        },
      },
    });
    const blocker = await database.db.session();
    try {
      await blocker.query(`SELECT pg_advisory_lock(${HOOK}, 1)`);
      const a = new MessageLocks(hooked, silentLogger());
      open.push(a);
      const leased = acquire(a, 10);
      await expect
        .poll(async () => (await database.db.query(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = ${HOOK} AND NOT granted`)).rows.length)
        .toBe(1);
      // Another replica delivers ids[1] meanwhile and commits its result.
      await database.db.query(`UPDATE notification_messages SET status = 'sent', attempt_count = 1 WHERE id = $1`, [ids[1]]);
      await blocker.query(`SELECT pg_advisory_unlock(${HOOK}, 1)`);
      expect(await leased).toEqual([ids[0], ids[2]]);
      // Its lock, taken by the statement, was let go.
      expect(a.held).toBe(2);
      expect(await advisoryLocks()).toEqual([2]);
    } finally {
      await blocker.close();
      await database.db.exec('DROP SCHEMA lease_race CASCADE');
    }
  });

  it('re-takes the locks of in-flight messages by itself when its session is lost', async () => {
    const ids = await seed(database, 10);
    const a = dispatcher();
    expect(await acquire(a, 4)).toEqual(ids.slice(0, 4));
    const before = await database.db.query<{ pid: number }>(
      `SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid`,
      [MESSAGE_LOCK_CLASS],
    );
    await database.db.query(`SELECT pg_terminate_backend($1)`, [before.rows[0].pid]);
    // A's deliveries are still running: it reconnects at once and holds their locks again, on a new
    // session, without waiting for its next lease.
    await expect
      .poll(async () =>
        (
          await database.db.query<{ pid: number; n: number }>(
            `SELECT pid, count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::bigint::oid GROUP BY pid`,
            [MESSAGE_LOCK_CLASS],
          )
        ).rows.filter((r) => r.pid !== before.rows[0].pid && r.n === 4).length,
      )
      .toBe(1);
    const b = dispatcher();
    expect(await acquire(b, 10)).toEqual(ids.slice(4));
    // Nor does A lease them again itself.
    expect(await acquire(a, 10)).toEqual([]);
  });
});
